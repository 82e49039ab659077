/**
 * The process driver: runs a PROCESS executable directly on the host, with no per-task Node
 * supervisor (the task benchmark must stay close to the raw spawn rate).
 *
 *   spawn-helper ──fork+exec──▶ CMD ARGS…        (the helper appends the exit status itself)
 *
 * - `detached`: the command starts a new session, so its pid is the process group id and the
 *   whole tree can be signalled at once (`kill(-pgid)`).
 * - stdout and stderr are the `output.log` file itself (opened O_APPEND), not pipes, so output
 *   keeps flowing while the executor is down and the rotator can copytruncate it.
 * - The exit status lands in the executor's exit log (see exit-log.ts), written by the spawn
 *   helper, the command's parent, which outlives executor restarts (spawn-helper.js); so an
 *   executor that restarts while the task runs still learns the true exit code. The handle
 *   keeps pid, pgid, the process start time (a reused pid does not fool `recover`) and where
 *   the exit status goes.
 * - Forked from the executor itself (`spawnVia: 'direct'`, or when no helper can be reached),
 *   nobody would be left to record the exit across the executor's restart, so the command runs
 *   under a `/bin/sh` wrapper that writes it (one more exec and fork per start):
 *     /bin/sh -c '"$@" 3>&-; c=$?; echo "$CORRAL_EXIT_KEY $c" >&3; exit $c' corral-task CMD ARGS…
 * - Without an executor restart the exit comes from the helper's `exit` message (or the
 *   child's `exit` event); after one, `wait` polls /proc and the exit log.
 * - `wait`, `stop` and `kill` resolve only when no live member of the group is left.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ProcessExecutable } from '../../../api/spec-types.ts';
import type { Driver, DriverCapabilities, DriverHandle, DriverUsage, ExecResult, ExitResult, WorkloadStartSpec } from '../driver.ts';
import { abortable, pause } from '../../abortable-wait.ts';
import { CommandNotRunnableError, resolveCommand } from './command-resolver.ts';
import { ExitLog, PER_WORKLOAD_EXIT_FILE, readExitStatus, type ExitTarget } from './exit-log.ts';
import {
  ProcessGroupWatcher, findGroupLeaderByEnvironment, isProcessAlive, readProcStat, signalExitCode, signalGroup,
} from './process-group.ts';
import { directoriesOf, spawnDirect, type ChildExit } from './process-launch.ts';
import { ProcessConfinement, type Confinement } from './process-confinement.ts';
import { execCommand, processEnvironment } from './process-exec.ts';
import { SpawnClient, SpawnHelperError, spawnHelperDir, type SpawnRequest, type SpawnedChild } from './spawn-client.ts';
import { resolveUser } from './user-lookup.ts';

/**
 * The exit wrappers of a direct spawn. The command never sees fd 3; the shell appends its line
 * there once the command ended.
 */
const SHARED_EXIT_WRAPPER = '"$@" 3>&-; c=$?; echo "$CORRAL_EXIT_KEY $c" >&3; exit $c';
const OWN_EXIT_WRAPPER = '"$@"; c=$?; echo $c > "$CORRAL_EXIT_FILE"; exit $c';
/**
 * After the process is gone, how long its recorder (the helper, or the wrapper shell) may
 * take to append the status: the helper writes right after it reaped the child, but it may be
 * busy forking others.
 */
const EXIT_RECORD_GRACE_MS = 1_500;

export interface ProcessDriverOptions {
  /** After the main process exits, how long its leftovers get between SIGTERM and SIGKILL. */
  leftoverGraceMs?: number;
  /** How often a recovered process is polled for its exit. */
  recoverPollMs?: number;
  /** Longest wait for a group to vanish after SIGKILL before giving up with an error. */
  killWaitMs?: number;
  /**
   * `helper` (default): fork through the small spawn helper process (spawn-helper.js), which is
   * cheaper than forking the big executor, does not stall its event loop and records exit
   * statuses without a wrapper shell; `direct`: fork from the executor itself, under the exit
   * wrapper. A helper that cannot be reached falls back to `direct` for that start.
   */
  spawnVia?: 'helper' | 'direct';
  /**
   * The executor's data dir: its spawn helper lives in `<dataDir>/spawn-helper/` and serves
   * every driver of that dir, across executor restarts. Default: the parent of `exitLogDir`;
   * without either, a private temporary dir removed by close() (tests).
   */
  dataDir?: string;
  /**
   * Directory of the executor's shared exit logs (the agent: `<data-dir>/exits`); without it
   * every workload gets its own exit file beside its log (one more inode per start).
   */
  exitLogDir?: string;
  /** Cgroups per workload, a refusal to run unconfined, or none (default; see process-confinement.ts). */
  confinement?: Confinement;
}

interface ProcessState {
  pid: number;
  pgid: number;
  startTime: number;
  exitFile: string;
  /** The workload's key in a shared exit log; absent: `exitFile` is its own. */
  exitKey?: string;
  workDir: string;
}

function stateOf(handle: DriverHandle): ProcessState {
  const s = handle.state;
  if (typeof s.pid !== 'number' || typeof s.pgid !== 'number' || typeof s.exitFile !== 'string') {
    throw new Error(`not a process-driver handle: ${JSON.stringify(s)}`);
  }
  return {
    pid: s.pid, pgid: s.pgid, startTime: Number(s.startTime ?? 0), exitFile: s.exitFile,
    ...(typeof s.exitKey === 'string' ? { exitKey: s.exitKey } : {}),
    workDir: typeof s.workDir === 'string' ? s.workDir : '/',
  };
}

function exitTargetOf(s: ProcessState): ExitTarget {
  return s.exitKey === undefined ? { file: s.exitFile } : { file: s.exitFile, key: s.exitKey };
}

function handleOf(pid: number, startTime: number, exit: ExitTarget, workDir: string, extra: Record<string, string | number> = {}): DriverHandle {
  return {
    driver: 'PROCESS',
    state: { pid, pgid: pid, startTime, exitFile: exit.file, ...(exit.key === undefined ? {} : { exitKey: exit.key }), workDir, ...extra },
  };
}

/** The same start under the `/bin/sh` exit wrapper: for forks nobody will outlive the executor to watch. */
function withExitWrapper(request: SpawnRequest): SpawnRequest {
  const wrapper = request.exit.key !== undefined ? SHARED_EXIT_WRAPPER : OWN_EXIT_WRAPPER;
  return { ...request, file: '/bin/sh', args: ['-c', wrapper, 'corral-task', request.file, ...request.args] };
}

/**
 * What a host process cannot be given. Devices: there is no container to map them into, and
 * the process already sees every device file its user may open, so "honouring" them would
 * grant nothing and limit nothing; failing says so instead of pretending (PROVISIONING_FAILED,
 * as `prepare` runs first).
 */
function refuseUnsupported(spec: WorkloadStartSpec): asserts spec is WorkloadStartSpec & { executable: ProcessExecutable } {
  if (spec.executable.type !== 'PROCESS') throw new Error(`the process driver cannot run ${spec.executable.type} executables`);
  if ((spec.devices?.length ?? 0) > 0) {
    const names = spec.devices!.map((d) => (d.type === 'DIRECT' ? d.pathOnHost : `DETAILED ${d.driver ?? 'request'}`)).join(', ');
    throw new Error(`devices are not supported by the process driver (${names}); run the workload as a DOCKER executable to map devices`);
  }
}

export class ProcessDriver implements Driver {
  readonly type = 'PROCESS' as const;
  readonly capabilities: DriverCapabilities;
  private readonly leftoverGraceMs: number;
  private readonly recoverPollMs: number;
  private readonly killWaitMs: number;
  private readonly groups = new ProcessGroupWatcher();
  /** Children forked in this process's lifetime; `wrapped`: under the exit wrapper shell. */
  private readonly children = new Map<number, { exit: Promise<ChildExit | 'lost'>; wrapped: boolean }>();
  private readonly helper: SpawnClient | undefined;
  private readonly privateDir: string | undefined;
  private readonly exitLog: ExitLog | undefined;
  private readonly confinement: ProcessConfinement;

  constructor(options: ProcessDriverOptions = {}) {
    this.confinement = new ProcessConfinement(options.confinement);
    const enforced = this.confinement.enforced;
    this.capabilities = Object.freeze({
      simulated: false,
      // The exit log outlives `destroy`: a restarted executor can always learn the exit.
      durableExit: true,
      // The spawn helper creates workDir and logDir with the start.
      createsDirectories: true,
      adopt: true,
      cleanUp: true,
      // Workload cgroups nobody knows (an executor that crashed mid-start) are emptied and removed.
      reapOrphans: true,
      // From the workload's cgroup; without one it cannot say (stats answers undefined).
      stats: true,
      // Cgroups confine each workload to its cores and memory (process-confinement.ts); without them nothing does.
      enforces: Object.freeze({ cores: enforced, memory: enforced }),
    });
    this.leftoverGraceMs = options.leftoverGraceMs ?? 2_000;
    this.recoverPollMs = options.recoverPollMs ?? 150;
    this.killWaitMs = options.killWaitMs ?? 30_000;
    if ((options.spawnVia ?? 'helper') === 'helper') {
      let dataDir = options.dataDir ?? (options.exitLogDir ? path.dirname(options.exitLogDir) : undefined);
      if (dataDir === undefined) dataDir = this.privateDir = mkdtempSync(path.join(tmpdir(), 'corral-process-driver-'));
      this.helper = new SpawnClient(spawnHelperDir(dataDir));
    }
    this.exitLog = options.exitLogDir ? new ExitLog(options.exitLogDir) : undefined;
  }

  async available(): Promise<boolean> {
    return process.platform === 'linux';
  }

  async prepare(spec: WorkloadStartSpec): Promise<void> {
    refuseUnsupported(spec);
    this.confinement.check();
  }

  async start(spec: WorkloadStartSpec, signal: AbortSignal): Promise<DriverHandle> {
    refuseUnsupported(spec);
    const env = processEnvironment(spec.env);
    const user = spec.userSpec ? await resolveUser(spec.userSpec) : undefined;
    const command = await resolveCommand(spec.executable.command, spec.workDir, env.PATH);
    signal.throwIfAborted();
    // The executor's exit log, or else a file beside the log, private to the workload.
    const exit: ExitTarget = this.exitLog ? { file: this.exitLog.next(), key: spec.instanceId } : { file: path.join(spec.logDir, PER_WORKLOAD_EXIT_FILE) };
    const plain: SpawnRequest = {
      file: command,
      args: spec.args,
      cwd: spec.workDir,
      // In the workload's environment so `adopt` can find it after a restart (and the wrapper uses them).
      env: { ...env, CORRAL_EXIT_FILE: exit.file, ...(exit.key ? { CORRAL_EXIT_KEY: exit.key } : {}) },
      log: path.join(spec.logDir, 'output.log'),
      dirs: directoriesOf(spec),
      exit,
      uid: user?.uid,
      gid: user?.gid,
    };
    this.confinement.check();
    const { request, handle: confined } = await this.confinement.enter(spec, plain);
    let launched: SpawnedChild;
    let wrapped = !this.helper;
    try {
      if (this.helper) {
        try {
          launched = await this.helper.spawn(request);
        } catch (error) {
          if (!(error instanceof SpawnHelperError)) throw error;
          wrapped = true;
          launched = await spawnDirect(withExitWrapper(request));
        }
      } else launched = await spawnDirect(withExitWrapper(request));
    } catch (error) {
      await this.confinement.release(confined).catch(() => undefined);
      throw new CommandNotRunnableError(`Cannot start ${command}: ${(error as Error).message}`);
    }
    const { pid, startTime } = launched;
    this.children.set(pid, { exit: launched.exit, wrapped });
    const handle = handleOf(pid, startTime, exit, spec.workDir, confined);
    if (signal.aborted) {
      await this.kill(handle);
      signal.throwIfAborted();
    }
    return handle;
  }

  async wait(handle: DriverHandle, signal: AbortSignal): Promise<ExitResult> {
    const s = stateOf(handle);
    const child = this.children.get(s.pid);
    const seen = child ? await abortable(child.exit, signal) : 'lost';
    // 'lost': not our child (executor restarted) or the helper that forked it died: watch /proc.
    const exit = seen === 'lost' ? await this.pollExit(s, signal) : await this.fromChild(seen, s, child!.wrapped);
    await this.reapLeftovers(s, signal);
    return this.confinement.explain(exit, handle.state);
  }

  async stop(handle: DriverHandle, timeoutMs: number): Promise<void> {
    const s = stateOf(handle);
    if (!(await this.ownsGroup(s))) return;
    if (!signalGroup(s.pgid, 'SIGTERM')) return;
    if (await this.groups.waitGone(s.pgid, timeoutMs)) return;
    await this.kill(handle);
  }

  async kill(handle: DriverHandle): Promise<void> {
    const s = stateOf(handle);
    if (!(await this.ownsGroup(s))) return;
    if (!signalGroup(s.pgid, 'SIGKILL')) return;
    if (!(await this.groups.waitGone(s.pgid, this.killWaitMs))) {
      throw new Error(`process group ${s.pgid} is still alive ${this.killWaitMs} ms after SIGKILL (uninterruptible sleep?)`);
    }
  }

  async destroy(handle: DriverHandle): Promise<void> {
    const s = stateOf(handle);
    if (signalGroup(s.pgid, 0) && (await this.groups.isAlive(s.pgid))) await this.kill(handle);
    // Also what left the process group (setsid) but not the cgroup.
    await this.confinement.release(handle.state);
    // The exit file stays: it is the workload's durable exit status until its directory is cleaned.
    this.children.delete(s.pid);
  }

  /** What the workload's cgroup says it uses (`capabilities.stats`); undefined without a cgroup. */
  async stats(handle: DriverHandle): Promise<DriverUsage | undefined> {
    return this.confinement.usage(handle.state);
  }

  /** Workload cgroups whose instance nobody knows: emptied and removed (`capabilities.reapOrphans`). */
  async reapOrphans(knownInstanceIds: Set<string>): Promise<string[]> {
    return this.confinement.reapOrphans(knownInstanceIds);
  }

  async recover(handle: DriverHandle): Promise<DriverHandle | undefined> {
    try {
      stateOf(handle);
    } catch {
      return undefined;
    }
    // Gone or not, `wait` tells the truth: the exit file, or -1 with the reason.
    return handle;
  }

  /**
   * After a restart in STARTING (`capabilities.adopt`): the command (or wrapper shell) started for this spec, found by its
   * exit key (or own exit file) in its environment; or, when it has ended already, a handle
   * whose `wait` reads its exit status (pid 0: nothing left to signal). Undefined when nothing
   * was started.
   */
  async adopt(spec: WorkloadStartSpec): Promise<DriverHandle | undefined> {
    const own = path.join(spec.logDir, PER_WORKLOAD_EXIT_FILE);
    const found = await findGroupLeaderByEnvironment([`CORRAL_EXIT_KEY=${spec.instanceId}`, `CORRAL_EXIT_FILE=${own}`]);
    if (found) {
      const file = found.environ.find((e) => e.startsWith('CORRAL_EXIT_FILE='))?.slice('CORRAL_EXIT_FILE='.length) ?? own;
      const key = found.environ.includes(`CORRAL_EXIT_KEY=${spec.instanceId}`) ? spec.instanceId : undefined;
      return handleOf(found.stat.pid, found.stat.startTime, key === undefined ? { file } : { file, key }, spec.workDir, this.confinement.handleFields(spec));
    }
    for (const file of (await this.exitLog?.files()) ?? []) {
      const target = { file, key: spec.instanceId };
      if ((await readExitStatus(target)) !== undefined) return handleOf(0, 0, target, spec.workDir, this.confinement.handleFields(spec));
    }
    if ((await readExitStatus({ file: own })) !== undefined) return handleOf(0, 0, { file: own }, spec.workDir, this.confinement.handleFields(spec));
    return undefined;
  }

  /** Removes exit logs no live workload refers to (`capabilities.cleanUp`); returns how many. */
  async cleanUp(live: DriverHandle[], maxAgeMs: number, now: number): Promise<number> {
    if (!this.exitLog) return 0;
    const referenced = new Set(live.filter((h) => h.driver === 'PROCESS').map((h) => String(h.state.exitFile)));
    return this.exitLog.clean(referenced, maxAgeMs, now);
  }

  /** Runs a command beside the workload (CMD checks, preShutdown hooks): its working directory and environment. */
  async exec(handle: DriverHandle, command: string[], timeoutMs: number, env: Record<string, string> = {}): Promise<ExecResult> {
    return execCommand(stateOf(handle).workDir, command, timeoutMs, processEnvironment(env));
  }

  /**
   * Stops the group watcher's timer and leaves the spawn helper (tests, agent shutdown);
   * workloads keep running, and the helper with them while any does.
   */
  close(): void {
    this.groups.close();
    this.helper?.close();
    if (this.privateDir) rmSync(this.privateDir, { recursive: true, force: true });
    // Best effort, not awaited: a parent still holding workload cgroups stays anyway.
    this.confinement.close().catch(() => undefined);
  }

  private async fromChild(exit: ChildExit, s: ProcessState, wrapped: boolean): Promise<ExitResult> {
    if (exit.code !== null) return { exitCode: exit.code };
    if (exit.signal && !wrapped) return { exitCode: signalExitCode(exit.signal), signal: exit.signal };
    if (exit.signal) {
      // The shell itself was signalled; the exit file may still hold the command's status.
      const code = await readExitStatus(exitTargetOf(s));
      return code !== undefined ? { exitCode: code } : { exitCode: signalExitCode(exit.signal), signal: exit.signal };
    }
    return { exitCode: -1, error: 'the process could not be watched (spawn error)' };
  }

  private async pollExit(s: ProcessState, signal: AbortSignal): Promise<ExitResult> {
    while (await isProcessAlive(s.pid, s.startTime || undefined)) await pause(this.recoverPollMs, signal);
    // The recorder (the helper, or the wrapper shell) may not have written it yet.
    let code = await readExitStatus(exitTargetOf(s));
    for (let tries = Math.ceil(EXIT_RECORD_GRACE_MS / this.recoverPollMs); code === undefined && tries > 0; tries--) {
      await pause(this.recoverPollMs, signal);
      code = await readExitStatus(exitTargetOf(s));
    }
    if (code !== undefined) return { exitCode: code };
    return {
      exitCode: -1,
      error: 'the process ended while the executor was away and left no exit status (killed by a signal, or the machine rebooted)',
    };
  }

  /** After the main process ended, whatever it left in its group goes too. */
  private async reapLeftovers(s: ProcessState, signal: AbortSignal): Promise<void> {
    // The usual case: the group died with its leader; one kill(-pgid, 0) says so.
    if (!signalGroup(s.pgid, 0)) return;
    if (!(await this.ownsGroup(s)) || !(await this.groups.isAlive(s.pgid))) return;
    signalGroup(s.pgid, 'SIGTERM');
    if (await abortable(this.groups.waitGone(s.pgid, this.leftoverGraceMs), signal)) return;
    signalGroup(s.pgid, 'SIGKILL');
    await abortable(this.groups.waitGone(s.pgid, this.killWaitMs), signal);
  }

  /**
   * False when the pid has been reused by an unrelated live process (which may lead a group
   * with the same id): then our group is long gone and must not be signalled.
   */
  private async ownsGroup(s: ProcessState): Promise<boolean> {
    if (!s.startTime) return true;
    const leader = await readProcStat(s.pgid);
    return !leader || leader.state === 'Z' || leader.startTime === s.startTime;
  }
}
