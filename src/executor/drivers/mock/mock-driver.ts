/**
 * The mock driver: no real processes, a configured run time and exit code, and failure
 * injection, for `corral sim`, tests and benchmarks. The agent runs work on it when started
 * with `--driver mock` (every executable type then runs here, DOCKER included, so Drove
 * clients' specs can be simulated unchanged).
 *
 * Behaviour is read from the workload's environment:
 *   MOCK_RUN_MS      run time in ms (tasks: default 0; instances: run until stopped)
 *   MOCK_EXIT_CODE   exit code when the run time ends (default 0)
 *   MOCK_FAIL        `prepare` or `start`: that step throws
 *   MOCK_PREPARE_MS  time spent in prepare (default 0)
 *   MOCK_CHECK_EXIT_CODE  exit code of `exec` (checks); default 0 so checks pass
 *
 * A fleet simulation (`corral sim`) sets the same things for every workload at once through
 * `MockBehaviour` (the workload's environment still wins): time spent preparing, starting and
 * stopping, how long after the start checks begin to pass, and a share of starts that fail.
 *
 * Handles carry the start time and run time, so a restarted executor recovers a mock workload
 * honestly: still running, or exited at the time it was due.
 */
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../../../common/clock.ts';
import { systemClock } from '../../../common/clock.ts';
import { setLongTimeout, type LongTimer } from '../../../common/long-timer.ts';
import type { Driver, DriverCapabilities, DriverHandle, ExecResult, ExitResult, WorkloadStartSpec } from '../driver.ts';
import { abortable, pause } from '../../abortable-wait.ts';

interface MockRun {
  done: Promise<ExitResult>;
  finish: (exit: ExitResult) => void;
  timer?: LongTimer;
  ended: boolean;
  /** A graceful stop is under way (its exit is scheduled). */
  stopping?: boolean;
}

function intEnv(env: Record<string, string>, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`${name} must be a whole number, got "${value}"`);
  return n;
}

/** Fleet-wide defaults of simulated workloads (`corral sim`); every field is optional. */
export interface MockBehaviour {
  /** Time spent in prepare (MOCK_PREPARE_MS wins); default 0. */
  prepareMs?: number;
  /** Time spent in start before the workload runs; default 0. */
  startMs?: number;
  /** A graceful stop exits this long after it was asked; default 0 (a kill is always at once). */
  stopMs?: number;
  /** Checks fail until this long after the start (then pass); default 0. */
  healthyAfterMs?: number;
  /** Run time of a task when its environment does not say (MOCK_RUN_MS); default 0. */
  taskRunMs?: number;
  /** Share (0–1) of starts that fail; default 0. */
  startFailureRate?: number;
  /** Where the failure rate draws from (tests pass a fixed sequence); default Math.random. */
  random?: () => number;
}

export interface MockDriverOptions {
  clock?: Clock;
  /** Append a line to output.log at start and exit (so the log endpoints have something); default true. */
  writeLogs?: boolean;
  behaviour?: MockBehaviour;
}

export class MockDriver implements Driver {
  readonly type = 'PROCESS' as const;
  readonly capabilities: DriverCapabilities = Object.freeze({
    simulated: true,
    // A recovered handle recomputes its exit from the clock.
    durableExit: true,
    createsDirectories: false,
    adopt: false,
    cleanUp: false,
    reapOrphans: false,
    stats: false,
    enforces: Object.freeze({ cores: false, memory: false }),
  });
  private readonly clock: Clock;
  private readonly writeLogs: boolean;
  private readonly behaviour: MockBehaviour;
  private readonly runs = new Map<string, MockRun>();
  private counter = 0;

  constructor(options: MockDriverOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.writeLogs = options.writeLogs ?? true;
    this.behaviour = { ...options.behaviour };
  }

  async available(): Promise<boolean> {
    return true;
  }

  async prepare(spec: WorkloadStartSpec, signal: AbortSignal): Promise<void> {
    if (spec.env.MOCK_FAIL === 'prepare') throw new Error('mock failure injected at prepare (MOCK_FAIL=prepare)');
    const ms = intEnv(spec.env, 'MOCK_PREPARE_MS', this.behaviour.prepareMs ?? 0);
    if (ms > 0) await pause(ms, signal);
  }

  async start(spec: WorkloadStartSpec): Promise<DriverHandle> {
    if (spec.env.MOCK_FAIL === 'start') throw new Error('mock failure injected at start (MOCK_FAIL=start)');
    const { startFailureRate = 0, startMs = 0, healthyAfterMs = 0 } = this.behaviour;
    if (startFailureRate > 0 && (this.behaviour.random ?? Math.random)() < startFailureRate) {
      throw new Error(`mock failure injected at start (start failure rate ${startFailureRate})`);
    }
    if (startMs > 0) await pause(startMs);
    const runMs = intEnv(spec.env, 'MOCK_RUN_MS', spec.kind === 'task' ? (this.behaviour.taskRunMs ?? 0) : -1);
    const exitCode = intEnv(spec.env, 'MOCK_EXIT_CODE', 0);
    const checkExitCode = intEnv(spec.env, 'MOCK_CHECK_EXIT_CODE', 0);
    const id = `mock-${process.pid}-${++this.counter}`;
    const log = this.writeLogs ? path.join(spec.logDir, 'output.log') : '';
    const handle: DriverHandle = {
      driver: 'PROCESS',
      state: { mockId: id, startedAt: this.clock.now(), runMs, exitCode, checkExitCode, healthyAfterMs, log },
    };
    if (log) await appendFile(log, `[mock] ${spec.kind} ${spec.instanceId} started (run ${runMs < 0 ? 'until stopped' : `${runMs} ms`}, exit ${exitCode})\n`);
    this.track(handle);
    return handle;
  }

  async wait(handle: DriverHandle, signal: AbortSignal): Promise<ExitResult> {
    return abortable(this.track(handle).done, signal);
  }

  async stop(handle: DriverHandle): Promise<void> {
    const stopMs = this.behaviour.stopMs ?? 0;
    if (stopMs <= 0) {
      this.end(handle, { exitCode: 143, signal: 'SIGTERM' });
      return;
    }
    const run = this.track(handle);
    if (run.ended || run.stopping) return;
    run.stopping = true;
    run.timer?.cancel();
    run.timer = setLongTimeout(() => this.end(handle, { exitCode: 143, signal: 'SIGTERM' }), stopMs);
  }

  async kill(handle: DriverHandle): Promise<void> {
    this.end(handle, { exitCode: 137, signal: 'SIGKILL' });
  }

  async destroy(handle: DriverHandle): Promise<void> {
    const run = this.runs.get(String(handle.state.mockId));
    run?.timer?.cancel();
    this.runs.delete(String(handle.state.mockId));
  }

  async recover(handle: DriverHandle): Promise<DriverHandle | undefined> {
    if (typeof handle.state.mockId !== 'string') return undefined;
    this.track(handle);
    return handle;
  }

  async exec(handle: DriverHandle): Promise<ExecResult> {
    const warmUp = Number(handle.state.healthyAfterMs ?? 0);
    if (warmUp > 0 && this.clock.now() - Number(handle.state.startedAt) < warmUp) {
      return { exitCode: 1, output: `mock workload not healthy yet (healthy ${warmUp} ms after start)` };
    }
    const code = Number(handle.state.checkExitCode ?? 0);
    return { exitCode: code, output: code === 0 ? '' : `mock check exit ${code} (MOCK_CHECK_EXIT_CODE)` };
  }

  /** Nothing outlives the process but the handles; simulated runs simply stop being watched. */
  close(): void {}

  /** Number of simulated workloads currently tracked. */
  get size(): number {
    return this.runs.size;
  }

  private track(handle: DriverHandle): MockRun {
    const id = String(handle.state.mockId);
    const existing = this.runs.get(id);
    if (existing) return existing;
    let finish!: (exit: ExitResult) => void;
    const done = new Promise<ExitResult>((resolve) => (finish = resolve));
    const run: MockRun = { done, finish, ended: false };
    this.runs.set(id, run);
    const runMs = Number(handle.state.runMs);
    if (runMs >= 0) {
      const remaining = Number(handle.state.startedAt) + runMs - this.clock.now();
      run.timer = setLongTimeout(() => this.end(handle, { exitCode: Number(handle.state.exitCode) }), Math.max(0, remaining));
    }
    return run;
  }

  private end(handle: DriverHandle, exit: ExitResult): void {
    const run = this.track(handle);
    if (run.ended) return;
    run.ended = true;
    run.timer?.cancel();
    const log = String(handle.state.log ?? '');
    if (log) void appendFile(log, `[mock] exited with code ${exit.exitCode}\n`).catch(() => undefined);
    run.finish(exit);
  }
}
