/**
 * Runs one task or app instance through its hooks and its driver, as Nomad's task runner does
 * (src/executor/README.md, "The runner and its hooks").
 *
 *            prestart hooks           driver.start          poststart hooks
 *   PENDING ───────────────▶ STARTING ────────────▶ running ─────────────▶ watching
 *      │ stop                    │ fail                 │ stop: preKill hooks, driver.stop/kill
 *      ▼                         ▼                      ▼ exit
 *   (stopped before start)   *_FAILED ──────────▶ exited hooks ──▶ DEPROVISIONING ──▶ STOPPED
 *                                                         (driver.destroy, stop hooks)
 *
 * Two cancellation scopes:
 *  - kill: a stop request (controller `stopTask`/`stopInstance`, or a failed check) ends the
 *    workload; FORCE skips preKill hooks and SIGKILLs at once, and escalates a graceful stop.
 *  - shutdown: the agent exits; waits are abandoned, the workload keeps running, and the
 *    persisted record lets the next agent resume exactly where this one was (`phase`).
 *
 * Everything visible goes through `setState`/`event`: persisted (coalesced) and pushed to the
 * controller through `onChange`.
 */
import type { ExecutorState } from '../../api/cluster-types.ts';
import type { InstanceReport, TaskReport } from '../../api/channel-protocol.ts';
import type { Clock } from '../../common/clock.ts';
import { logRejection, type Logger } from '../../common/logger.ts';
import type { Driver, DriverHandle, ExitResult, WorkloadStartSpec } from '../drivers/driver.ts';
import { execIn, offers } from '../drivers/driver.ts';
import type { ExecutorFacts, LifecycleControl } from './hook-capabilities.ts';
import type { AnyHook, HookRequest } from './hook-phases.ts';
import { WorkloadPhaseError, isExited, isPoststart, isPreKill, isPrestart, isStop, isUpdate } from './hook-phases.ts';
import type { WorkloadLifecycle } from './workload-lifecycle.ts';
import { instanceLifecycle, oomMessage, taskLifecycle } from './workload-lifecycle.ts';
import type { StopRequest, WorkloadRecord, WorkloadState } from '../state/workload-record.ts';
import { pushEvent, recordPrestart } from '../state/workload-record.ts';
import { reportOf } from './workload-report.ts';
import { startSpecOf } from './start-spec.ts';
import { runHookPhase } from './hook-walker.ts';
import { CancelScopes } from './cancel-scopes.ts';
import { StoppedBeforeStart, VANISHED } from './stop-reasons.ts';
import type { SaveUrgency, WorkloadPaths, WorkloadStore } from '../state/workload-store.ts';
import { errorMessage } from '../../common/error-message.ts';

export interface RunnerDeps {
  driver: Driver;
  store: WorkloadStore;
  clock: Clock;
  logger: Logger;
  executor: ExecutorFacts;
  hooks: AnyHook[];
  /** Called after every state change (and notable events) with the runner. */
  onChange: (runner: WorkloadRunner) => void;
}

export class WorkloadRunner {
  readonly record: WorkloadRecord;
  readonly paths: WorkloadPaths;
  private readonly deps: RunnerDeps;
  private readonly lifecycle: WorkloadLifecycle;
  private readonly scopes = new CancelScopes();
  /** What every hook request carries, and the lifecycle control prestart and poststart hooks get. */
  private readonly hookRequest: HookRequest;
  private readonly control: LifecycleControl;
  private runPromise: Promise<void> | undefined;
  private recovered = false;

  constructor(record: WorkloadRecord, deps: RunnerDeps) {
    this.record = record;
    this.deps = deps;
    this.paths = deps.store.paths(record.instanceId);
    this.lifecycle = record.kind === 'task' ? taskLifecycle : instanceLifecycle;
    this.hookRequest = {
      workload: record, paths: this.paths, executor: deps.executor, capabilities: deps.driver.capabilities,
      events: { event: (type, message, options) => this.event(type, message, options) },
    };
    this.control = { setState: (state) => this.setState(state), fail: (state, message) => this.failCheck(state, message) };
    // Restored mid-stop: carry on stopping.
    if (record.stopRequest) this.scopes.requestStop(record.stopRequest.mode === 'FORCE');
  }

  get instanceId(): string {
    return this.record.instanceId;
  }

  /** Starts (or resumes) the walk; idempotent. Resolves when the workload is STOPPED or the agent shut down. */
  run(): Promise<void> {
    this.runPromise ??= this.walk().catch((error: unknown) => {
      this.deps.logger.error({ instanceId: this.instanceId, err: errorMessage(error) }, 'workload runner crashed');
    });
    return this.runPromise;
  }

  /** Kill scope: ends the workload. Repeated requests are idempotent; FORCE escalates a graceful stop. */
  requestStop(request: Omit<StopRequest, 'requestedAt'>): void {
    const record = this.record;
    if (record.phase === 'done' || record.phase === 'exited') return;
    const existing = record.stopRequest;
    if (existing) {
      if (request.mode === 'FORCE' && existing.mode !== 'FORCE') {
        existing.mode = 'FORCE';
        this.event('Killing', `Stop escalated to FORCE: ${request.reason}`);
        this.scopes.requestStop(true);
        if (record.phase === 'running' && record.handle) {
          this.deps.driver.kill(record.handle).catch((error: unknown) => this.event('Kill Failed', errorMessage(error), { error: true }));
        }
        this.persistQuietly('now');
      }
      return;
    }
    record.stopRequest = { ...request, requestedAt: this.deps.clock.now() };
    if (!request.internal) this.event('Killing', `${request.mode === 'FORCE' ? 'Force stop' : 'Stop'} requested: ${request.reason}`);
    this.scopes.requestStop(request.mode === 'FORCE');
    this.persistQuietly('now');
  }

  /** Shutdown scope: stop watching, leave the workload running; resolves when the walk has returned. */
  async shutdown(): Promise<void> {
    this.scopes.shutDown();
    await this.runPromise;
    await this.persist('now');
  }

  /** Update phase: tells the hooks that the executor's situation changed. */
  async update(executorState: ExecutorState): Promise<void> {
    await runHookPhase(this.deps.hooks, {
      accepts: isUpdate,
      call: (hook) => hook.update({ ...this.hookRequest, executorState }),
      onError: (hook, error) => this.hookFailed(hook.name, 'update', error),
    });
  }

  report(): TaskReport | InstanceReport {
    return reportOf(this.record);
  }

  // ------------------------------------------------------------------ the walk

  private async walk(): Promise<void> {
    if (this.record.phase === 'done') return;
    try {
      if (this.record.phase !== 'exited') {
        const handle = await this.bringUp();
        const exit = handle ? await this.runWorkload(handle) : VANISHED;
        this.onExit(exit);
        await this.runExited(exit);
      }
    } catch (error) {
      if (this.scopes.shuttingDown) return;
      this.onFailure(error);
    }
    if (this.scopes.shuttingDown) return;
    await this.deprovision();
  }

  /** Prestart + start, or re-attach after a restart. Undefined when a recovered workload is gone. */
  private async bringUp(): Promise<DriverHandle | undefined> {
    const { record, lifecycle } = this;
    if (record.phase === 'running' && record.handle) return this.reattach(record.handle);
    if (record.state === 'STARTING') {
      const adopted = await this.reattach(undefined);
      if (adopted) return adopted;
      throw new WorkloadPhaseError(lifecycle.startFailed, 'The executor restarted while this workload was starting; its start could not be confirmed');
    }
    await this.prestart();
    this.throwIfStopped();
    // On disk before anything starts: an executor killed between the start and saving the
    // handle finds the workload again (`adopt`) instead of leaving an orphan nobody knows.
    this.setState('STARTING', undefined, 'now');
    let handle: DriverHandle;
    try {
      handle = await this.deps.driver.start(this.startSpec(), this.scopes.starting);
    } catch (error) {
      if (this.scopes.shuttingDown) throw error;
      this.throwIfStopped();
      throw new WorkloadPhaseError(lifecycle.startFailed, errorMessage(error), 'start');
    }
    record.handle = handle;
    record.phase = 'running';
    this.event('Started', `Started by the ${handle.driver.toLowerCase()} driver`);
    // Written before anyone hears RUNNING: without the handle on disk a crash would orphan the workload.
    this.setState(lifecycle.running, undefined, 'now');
    return handle;
  }

  private async prestart(): Promise<void> {
    const signal = this.scopes.starting;
    const preparer = { prepare: (prepareSignal: AbortSignal) => this.deps.driver.prepare(this.startSpec(), prepareSignal) };
    for (const hook of this.deps.hooks) {
      if (!isPrestart(hook)) continue;
      const previous = this.record.hooks[hook.name];
      if (previous?.done) continue;
      this.throwIfStopped();
      try {
        const response = await hook.prestart({ ...this.hookRequest, lifecycle: this.control, driver: preparer, previousState: previous?.state ?? {}, signal });
        recordPrestart(this.record, hook.name, response, this.deps.executor.hostname);
        this.persistQuietly();
      } catch (error) {
        if (this.scopes.shuttingDown) throw error;
        this.throwIfStopped();
        const failState = error instanceof WorkloadPhaseError ? error.failState : this.lifecycle.provisioningFailed;
        throw new WorkloadPhaseError(failState, errorMessage(error), hook.name);
      }
    }
  }

  /**
   * After a restart: re-attaches through the saved handle, or — restarted in STARTING, so the
   * handle may never have been saved — to whatever that start left behind (`adopt`).
   */
  private async reattach(stale: DriverHandle | undefined): Promise<DriverHandle | undefined> {
    const previous = this.record.state;
    const driver = this.deps.driver;
    const find = stale ? () => driver.recover(stale) : offers(driver, 'adopt') ? () => driver.adopt(this.startSpec()) : undefined;
    if (!find) return undefined;
    this.recovered = true;
    this.event('Recovering', 'Executor restarted: re-attaching to the workload');
    this.setState('UNKNOWN');
    let handle: DriverHandle | undefined;
    try {
      handle = await find();
    } catch (error) {
      this.event('Recover Failed', errorMessage(error), { error: true });
    }
    if (!handle) return undefined;
    this.record.handle = handle;
    this.record.phase = 'running';
    this.event('Recovered', 'Re-attached to the running workload');
    const keep = this.record.stopRequest && previous !== 'UNKNOWN';
    this.setState(keep ? previous : this.lifecycle.running, undefined, stale ? 'soon' : 'now');
    return handle;
  }

  private async runWorkload(handle: DriverHandle): Promise<ExitResult> {
    const running = this.scopes.running();
    const exec = execIn(this.deps.driver, handle);
    await runHookPhase(this.deps.hooks, {
      accepts: isPoststart,
      call: (hook) => hook.poststart({ ...this.hookRequest, lifecycle: this.control, exec, recovered: this.recovered, signal: running }),
      onError: (hook, error) => this.hookFailed(hook.name, 'poststart', error, true),
      stopWhen: () => this.scopes.shuttingDown,
    });
    this.scopes.shutdownSignal.throwIfAborted();
    const waiting = this.deps.driver.wait(handle, this.scopes.shutdownSignal);
    const first = await Promise.race([waiting.then((exit) => ({ exit })), this.scopes.stopRequested.then(() => undefined)]);
    if (first) return first.exit;
    await this.performStop(handle);
    return waiting;
  }

  private async performStop(handle: DriverHandle): Promise<void> {
    const request = this.record.stopRequest!;
    if (this.record.kind === 'instance' && !request.internal) this.setState('STOPPING');
    if (request.mode === 'GRACEFUL' && !request.internal && !this.scopes.forced) await this.runPreKill(handle);
    const driver = this.deps.driver;
    if (this.scopes.forced) await driver.kill(handle);
    else await driver.stop(handle, request.killTimeoutMs ?? this.record.killTimeoutMs);
    this.event('Killed', 'The workload was stopped');
  }

  private async runPreKill(handle: DriverHandle): Promise<void> {
    const signal = this.scopes.preKill();
    await runHookPhase(this.deps.hooks, {
      accepts: isPreKill,
      call: (hook) => hook.preKill({ ...this.hookRequest, exec: execIn(this.deps.driver, handle), signal }),
      onError: (hook, error) => this.hookFailed(hook.name, 'preKill', error, true),
      stopWhen: () => signal.aborted,
    });
  }

  private onExit(exit: ExitResult): void {
    this.scopes.workloadExited();
    const record = this.record;
    record.exit = exit;
    record.phase = 'exited';
    const before = record.state;
    this.lifecycle.applyExit(record, exit);
    this.event('Terminated', exit.error ?? oomMessage(exit) ?? `Exit code ${exit.exitCode}${exit.signal ? ` (${exit.signal})` : ''}`, { error: Boolean(exit.error ?? exit.oom) });
    // 'later': deprovisioning saves at once when the driver cannot tell the exit again after cleanup.
    this.changed(before !== record.state, 'later');
  }

  private async runExited(exit: ExitResult): Promise<void> {
    await runHookPhase(this.deps.hooks, {
      accepts: isExited,
      call: (hook) => hook.exited({ ...this.hookRequest, exit }),
      onError: (hook, error) => this.hookFailed(hook.name, 'exited', error),
    });
  }

  private onFailure(error: unknown): void {
    this.scopes.workloadExited();
    const record = this.record;
    if (error instanceof StoppedBeforeStart || (this.scopes.stopping && record.phase === 'prestart')) {
      this.lifecycle.applyStoppedBeforeStart(record);
      this.event('Killed', 'Stopped before the workload started');
    } else if (error instanceof WorkloadPhaseError) {
      this.lifecycle.applyFailure(record, error.failState, error.message);
      this.event(error.hook === 'start' ? 'Driver Failure' : 'Hook Failed', error.message, { hook: error.hook, error: true });
    } else {
      const failState = record.phase === 'prestart' ? this.lifecycle.provisioningFailed : this.lifecycle.startFailed;
      this.lifecycle.applyFailure(record, record.phase === 'running' ? record.state : failState, `Executor error: ${errorMessage(error)}`);
      this.event('Executor Error', errorMessage(error), { error: true });
    }
    record.phase = 'exited';
    this.changed(true);
  }

  private async deprovision(): Promise<void> {
    const record = this.record;
    // The outcome must be on disk before cleanup erases what it was learned from (a container
    // and its exit code …), unless the driver keeps the exit readable after cleanup anyway.
    if (this.deps.driver.capabilities.durableExit) this.persistQuietly('later');
    else await this.persist('now');
    // From here on nothing needs saving promptly: a crash only repeats this idempotent cleanup.
    if (record.state !== 'PENDING') this.setState('DEPROVISIONING', undefined, 'later');
    if (record.handle) {
      try {
        await this.deps.driver.destroy(record.handle);
      } catch (error) {
        this.event('Cleanup Failed', `driver: ${errorMessage(error)}`, { error: true });
      }
    }
    await runHookPhase(this.deps.hooks, {
      accepts: isStop,
      call: (hook) => hook.stop({ ...this.hookRequest, existingState: record.hooks[hook.name]?.state ?? {} }),
      onError: (hook, error) => this.event('Cleanup Failed', `${hook.name}: ${errorMessage(error)}`, { hook: hook.name, error: true }),
    });
    record.phase = 'done';
    // Written lazily; the controller's `forget` usually comes first and cancels the write.
    this.setState('STOPPED', undefined, 'later');
  }

  // ------------------------------------------------------------------ plumbing

  private throwIfStopped(): void {
    if (this.scopes.stopping && this.record.phase === 'prestart') throw new StoppedBeforeStart('stopped before start');
  }

  private setState(state: WorkloadState, errorMessage?: string, urgency: SaveUrgency = 'soon'): void {
    const record = this.record;
    if (record.state === state && errorMessage === undefined) return;
    record.state = state;
    if (errorMessage !== undefined) record.errorMessage = errorMessage;
    this.changed(true, urgency);
  }

  private changed(notify: boolean, urgency: SaveUrgency = 'soon'): void {
    this.record.updated = this.deps.clock.now();
    this.persistQuietly(urgency);
    if (notify) this.deps.onChange(this);
  }

  private event(type: string, message: string, options: { hook?: string; error?: boolean; notify?: boolean } = {}): void {
    pushEvent(this.record, {
      time: this.deps.clock.now(), type, message,
      ...(options.hook ? { hook: options.hook } : {}),
      ...(options.error ? { error: true } : {}),
    });
    if (options.notify) this.changed(true);
  }

  private hookFailed(hook: string, phase: string, error: unknown, notify = false): void {
    this.event('Hook Failed', `${hook} (${phase}): ${errorMessage(error)}`, { hook, error: true, notify });
  }

  /** Urgent saves go to disk at once; routine ones may be batched by the store. */
  private persist(urgency: SaveUrgency = 'soon'): Promise<void> {
    return this.deps.store.save(this.record, urgency);
  }

  /** A save nothing waits for: its failure (a full disk) is logged, the workload goes on. */
  private persistQuietly(urgency: SaveUrgency = 'soon'): void {
    this.persist(urgency).catch(logRejection(this.deps.logger, 'could not save the workload record', { instanceId: this.instanceId }));
  }

  private startSpec(): WorkloadStartSpec {
    return startSpecOf(this.record, this.paths, this.deps.executor.executorId);
  }

  /** A failed check: the instance moves to `state` and is stopped (once; not after a stop was asked for). */
  private failCheck(state: WorkloadState, message: string): void {
    if (this.record.phase !== 'running' || this.record.stopRequest) return;
    this.event(state === 'UNHEALTHY' ? 'Unhealthy' : 'Check Failed', message, { error: true });
    this.setState(state, message);
    this.requestStop({ mode: 'GRACEFUL', reason: message, internal: true });
  }
}
