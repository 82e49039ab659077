/**
 * The executor's workloads: one runner per task or app instance, created from controller
 * messages or restored from the data dir, kept until the controller says `forget` after the
 * workload is terminal (so no result is lost across restarts or disconnections).
 */
import type {
  InstanceReport, SnapshotMessage, StartInstanceMessage, StartTaskMessage, TaskReport,
} from '../../api/channel-protocol.ts';
import type { ExecutorState } from '../../api/cluster-types.ts';
import type { Clock } from '../../common/clock.ts';
import { logRejection, type Logger } from '../../common/logger.ts';
import type { ExecutorFacts } from '../runner/hook-capabilities.ts';
import type { HookCatalog } from '../runner/hook-catalog.ts';
import type { PortAllocator } from '../runner/port-allocator.ts';
import { WorkloadRunner } from '../runner/workload-runner.ts';
import { reportOf } from '../runner/workload-report.ts';
import { instanceLifecycle, taskLifecycle } from '../runner/workload-lifecycle.ts';
import type { StopRequest, WorkloadRecord } from '../state/workload-record.ts';
import { newWorkloadRecord, pushEvent } from '../state/workload-record.ts';
import type { WorkloadStore } from '../state/workload-store.ts';
import { offers } from '../drivers/driver.ts';
import type { DriverCatalog } from './driver-catalog.ts';

export interface RegistryDeps {
  store: WorkloadStore;
  drivers: DriverCatalog;
  hooks: HookCatalog;
  ports: PortAllocator;
  clock: Clock;
  logger: Logger;
  executor: ExecutorFacts;
  /** Pushes a report after a state change. */
  onChange: (report: TaskReport | InstanceReport, kind: 'task' | 'instance') => void;
}

export class WorkloadRegistry {
  private readonly deps: RegistryDeps;
  private readonly runners = new Map<string, WorkloadRunner>();
  /** Set once the agent is exiting: why new workloads are refused. */
  private refusal: string | undefined;

  constructor(deps: RegistryDeps) {
    this.deps = deps;
  }

  get size(): number {
    return this.runners.size;
  }

  get(instanceId: string): WorkloadRunner | undefined {
    return this.runners.get(instanceId);
  }

  list(): WorkloadRunner[] {
    return [...this.runners.values()];
  }

  /** Re-creates runners for persisted records and resumes them. */
  restore(records: WorkloadRecord[]): void {
    for (const record of records) {
      if (this.runners.has(record.instanceId)) continue;
      this.deps.ports.reserve(record.prepared.ports.map((p) => p.hostPort));
      if (record.phase !== 'done') {
        pushEvent(record, { time: this.deps.clock.now(), type: 'Restored', message: 'Executor restarted; workload restored from its data dir' });
      }
      this.launch(record).run().catch(logRejection(this.deps.logger, 'a restored workload runner failed', { instanceId: record.instanceId }));
    }
  }

  /**
   * From now on new workloads are refused (the agent is exiting): whether it stops every
   * workload or leaves them running, one started now would escape it, running with nobody
   * watching or outliving a `--kill-workloads-on-exit` executor.
   */
  refuseStarts(why: string): void {
    this.refusal = why;
  }

  /** Idempotent: a repeated start for a known instance only re-reports it. */
  startTask(message: StartTaskMessage): void {
    const existing = this.runners.get(message.instanceId);
    if (existing) return this.reannounce(existing);
    const record = newWorkloadRecord({
      kind: 'task', instanceId: message.instanceId, spec: message.spec, allocation: message.allocation,
      killTimeoutMs: message.killTimeoutMs, now: this.deps.clock.now(),
    });
    this.begin(record);
  }

  startInstance(message: StartInstanceMessage): void {
    const existing = this.runners.get(message.instanceId);
    if (existing) return this.reannounce(existing);
    const record = newWorkloadRecord({
      kind: 'instance', instanceId: message.instanceId, spec: message.spec, appId: message.appId, localService: message.localService,
      instanceToken: typeof message.instanceToken === 'string' ? message.instanceToken : undefined,
      allocation: message.allocation, killTimeoutMs: message.killTimeoutMs, now: this.deps.clock.now(),
    });
    this.begin(record);
  }

  /** Kill scope for one workload; false when unknown. */
  stop(instanceId: string, request: Omit<StopRequest, 'requestedAt'>): boolean {
    const runner = this.runners.get(instanceId);
    if (!runner) return false;
    runner.requestStop(request);
    return true;
  }

  /** Drops terminal workloads the controller has persisted. Non-terminal ids are ignored. */
  async forget(instanceIds: string[]): Promise<void> {
    await Promise.all(instanceIds.map(async (id) => {
      const runner = this.runners.get(id);
      if (!runner || runner.record.phase !== 'done') return;
      this.runners.delete(id);
      await this.deps.store.forget(id);
    }));
  }

  /**
   * After `welcome`: workloads the controller does not know are stopped if active and
   * forgotten if terminal (it will never ask about them).
   */
  async reconcile(knownInstanceIds: string[]): Promise<void> {
    const known = new Set(knownInstanceIds);
    const stale: string[] = [];
    for (const runner of this.runners.values()) {
      if (known.has(runner.instanceId)) continue;
      if (runner.record.phase === 'done') stale.push(runner.instanceId);
      else {
        this.deps.logger.warn({ instanceId: runner.instanceId }, 'the controller does not know this workload; stopping it');
        runner.requestStop({ mode: 'GRACEFUL', reason: 'unknown to the controller', resultStatus: 'CANCELLED' });
      }
    }
    await this.forget(stale);
    for (const driver of this.deps.drivers.drivers) {
      // Containers this executor started but has no record of (e.g. it crashed mid-start).
      if (!offers(driver, 'reapOrphans')) continue;
      try {
        const removed = await driver.reapOrphans(new Set([...this.runners.keys(), ...known]));
        if (removed.length > 0) this.deps.logger.warn({ removed }, 'removed orphaned workloads');
      } catch (error) {
        this.deps.logger.warn({ err: (error as Error).message }, 'could not reap orphaned workloads');
      }
    }
  }

  snapshot(): SnapshotMessage {
    const tasks: TaskReport[] = [];
    const instances: InstanceReport[] = [];
    for (const runner of this.runners.values()) {
      if (runner.record.kind === 'task') tasks.push(runner.report() as TaskReport);
      else instances.push(runner.report() as InstanceReport);
    }
    return { type: 'snapshot', tasks, instances, time: this.deps.clock.now() };
  }

  updateAll(executorState: ExecutorState): void {
    for (const runner of this.runners.values()) {
      runner.update(executorState).catch(logRejection(this.deps.logger, 'telling a workload the executor state failed', { instanceId: runner.instanceId }));
    }
  }

  /** Shutdown scope for all: stop watching, leave workloads running, persist. */
  async shutdownAll(): Promise<void> {
    await Promise.all(this.list().map((runner) => runner.shutdown()));
    await this.deps.store.flush();
  }

  /** Kill scope for all (agent exit with --kill-workloads-on-exit): resolves when all are STOPPED. */
  async stopAll(reason: string): Promise<void> {
    const runners = this.list();
    for (const runner of runners) runner.requestStop({ mode: 'GRACEFUL', reason, resultStatus: 'CANCELLED' });
    await Promise.all(runners.map((runner) => runner.run()));
    await this.deps.store.flush();
  }

  private begin(record: WorkloadRecord): void {
    pushEvent(record, { time: record.created, type: 'Received', message: `${record.kind === 'task' ? 'Task' : 'Instance'} received by the executor` });
    if (this.refusal !== undefined) return this.refuse(record, this.refusal);
    const runner = this.launch(record);
    this.deps.store.save(record).catch(logRejection(this.deps.logger, 'could not save a received workload; it runs all the same', { instanceId: record.instanceId }));
    this.deps.onChange(runner.report(), record.kind);
    runner.run().catch(logRejection(this.deps.logger, 'a workload runner failed', { instanceId: record.instanceId }));
  }

  /**
   * Ends a workload that was never set up: PROVISIONING_FAILED then STOPPED (tasks: FAILED),
   * reported at once so the controller can place it elsewhere. Not persisted: the store may
   * already be closed, and the controller, told now or finding it missing from the next
   * executor's snapshot, accounts for it either way.
   */
  private refuse(record: WorkloadRecord, why: string): void {
    const lifecycle = record.kind === 'task' ? taskLifecycle : instanceLifecycle;
    const message = `Not started: ${why}`;
    lifecycle.applyFailure(record, lifecycle.provisioningFailed, message);
    pushEvent(record, { time: this.deps.clock.now(), type: 'Refused', message, error: true });
    this.deps.onChange(reportOf(record), record.kind);
    record.state = 'STOPPED';
    record.phase = 'done';
    this.deps.onChange(reportOf(record), record.kind);
    this.deps.logger.warn({ instanceId: record.instanceId }, `refused a ${record.kind} start: ${why}`);
  }

  private launch(record: WorkloadRecord): WorkloadRunner {
    const driver = this.deps.drivers.forType(record.spec.executable?.type ?? 'DOCKER');
    const runner = new WorkloadRunner(record, {
      driver,
      store: this.deps.store,
      clock: this.deps.clock,
      logger: this.deps.logger,
      executor: this.deps.executor,
      hooks: record.kind === 'task' ? this.deps.hooks.task : this.deps.hooks.instance,
      onChange: (r) => this.deps.onChange(r.report(), r.record.kind),
    });
    this.runners.set(record.instanceId, runner);
    return runner;
  }

  private reannounce(runner: WorkloadRunner): void {
    this.deps.onChange(runner.report(), runner.record.kind);
  }
}
