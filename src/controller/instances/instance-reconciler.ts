/**
 * Keeps the instance records of one instance book (apps, or local services) in step with what
 * executors report (the executors are the truth about processes, the store about intent). Each
 * book's reconciler takes only the reports it `owns` (local-service instances say so in their
 * report), so the two never stop each other's instances as strangers:
 *
 *   instanceUpdate / snapshot entry ──▶ newer than the last report? ──▶ persisted, applied, event
 *   snapshot without a live instance ──▶ (not just sent) ──▶ LOST ("no longer on its executor")
 *   report of an instance the controller does not hold ──▶ stopInstance FORCE (terminal: forget)
 *   executor lost ──▶ its live instances LOST (not in maintenance: workloads are left alone then)
 *   executor (re)connected ──▶ pending stops sent again; its snapshot re-attaches what runs
 */
import type { InstanceRecord } from '../../api/app-types.ts';
import type { InstanceReport, SnapshotMessage } from '../../api/channel-protocol.ts';
import type { ControllerContext } from '../context.ts';
import type { LiveExecutor } from '../executors/live-executor.ts';
import { TERMINAL_INSTANCE_STATES, type InstanceBook } from './instance-book.ts';

/** Why the instances of an executor declared lost are LOST (after `Executor <host> `). */
const EXECUTOR_LOST_REASON = 'was lost (silent past its grace period)';

export interface InstanceReconcilerOptions {
  /** A just-sent start is not expected in a snapshot before this long. */
  startGraceMs: number;
  /** Called with the owners (appIds, serviceIds) whose instances were lost or ended unexpectedly. */
  onAppsAffected(appIds: string[]): void;
  /** Whether a report is about an instance of this book's kind. */
  owns(report: InstanceReport): boolean;
  /** The stored record of an instance that is no longer live (to explain why a stranger is stopped). */
  storedInstance(ownerId: string, instanceId: string): Promise<InstanceRecord | undefined>;
}

export class InstanceReconciler {
  private readonly lastReport = new Map<string, number>();
  private readonly strangersStopped = new Set<string>();
  private readonly detachers: (() => void)[] = [];

  private readonly ctx: ControllerContext;
  private readonly model: InstanceBook;
  private readonly options: InstanceReconcilerOptions;

  constructor(
    ctx: ControllerContext,
    model: InstanceBook,
    options: InstanceReconcilerOptions,
  ) {
    this.ctx = ctx;
    this.model = model;
    this.options = options;
  }

  attach(): void {
    const registry = this.ctx.executors;
    const onUpdate = (executorId: string, report: InstanceReport) => this.guard(this.onReport(executorId, report));
    const onSnapshot = (executorId: string, snapshot: SnapshotMessage) => this.guard(this.onSnapshot(executorId, snapshot));
    const onConnected = (executor: LiveExecutor) => {
      this.model.resendStops(executor.record.executorId);
      this.strangersStopped.clear();
    };
    const onLost = (executor: LiveExecutor) => this.guard(this.markExecutorLost(executor.record.executorId, EXECUTOR_LOST_REASON));
    registry.on('instanceUpdate', onUpdate);
    registry.on('snapshot', onSnapshot);
    registry.on('connected', onConnected);
    registry.on('lost', onLost);
    this.detachers.push(
      () => registry.off('instanceUpdate', onUpdate),
      () => registry.off('snapshot', onSnapshot),
      () => registry.off('connected', onConnected),
      () => registry.off('lost', onLost),
    );
  }

  detach(): void {
    for (const detach of this.detachers.splice(0)) detach();
  }

  async onReport(executorId: string, report: InstanceReport): Promise<void> {
    if (!this.options.owns(report)) return;
    const record = this.model.latest(report.instanceId);
    if (!record) return this.stranger(executorId, report);
    if (record.executorId && record.executorId !== executorId) return;
    const last = this.lastReport.get(report.instanceId);
    if (last !== undefined && report.updated < last) return;
    this.lastReport.set(report.instanceId, report.updated);
    const localInfo = report.localInfo ?? record.localInfo;
    const errorMessage = report.errorMessage ?? '';
    if (record.state === report.state && record.errorMessage === errorMessage && sameJson(record.localInfo, localInfo)) return;
    const next: InstanceRecord = {
      ...record, state: report.state, errorMessage, updated: report.updated,
      events: report.events?.slice(-50) ?? record.events,
    };
    if (localInfo) next.localInfo = localInfo;
    await this.model.saveInstance(next);
    if (TERMINAL_INSTANCE_STATES.has(next.state)) this.lastReport.delete(next.instanceId);
  }

  async onSnapshot(executorId: string, snapshot: SnapshotMessage): Promise<void> {
    const seen = new Set<string>();
    await Promise.all(snapshot.instances.filter((report) => this.options.owns(report)).map((report) => {
      seen.add(report.instanceId);
      return this.onReport(executorId, report);
    }));
    const now = this.ctx.clock.now();
    const missing: InstanceRecord[] = [];
    for (const record of this.model.instancesOn(executorId)) {
      if (seen.has(record.instanceId)) continue;
      const sentAt = this.model.startSentAt.get(record.instanceId);
      if (sentAt !== undefined && now - sentAt < this.options.startGraceMs) continue;
      missing.push(record);
    }
    await this.markLost(missing, `Instance is no longer on executor ${executorId}`);
  }

  /**
   * Live instances whose executor is gone from the registry, or declared lost and still away
   * (e.g. lost while in maintenance, or removed before a controller restart), become LOST.
   */
  async sweepAbsentExecutors(): Promise<void> {
    if (this.ctx.cluster.inMaintenance()) return;
    // The same reason as the executor-lost event gives, whichever of the two gets there first.
    const absent = new Map<string, string>();
    for (const record of this.model.allInstances()) {
      if (!record.executorId || absent.has(record.executorId)) continue;
      const executor = this.ctx.executors.get(record.executorId);
      if (!executor) absent.set(record.executorId, 'is gone (removed)');
      else if (!executor.connected && executor.record.lostAt !== undefined) absent.set(record.executorId, EXECUTOR_LOST_REASON);
    }
    for (const [executorId, why] of absent) await this.markExecutorLost(executorId, why);
  }

  /** Marks every live instance of an executor LOST (skipped in maintenance: workloads are left alone). */
  async markExecutorLost(executorId: string, why: string): Promise<void> {
    if (this.ctx.cluster.inMaintenance()) {
      this.ctx.logger.warn({ executorId }, 'executor lost during maintenance: its instances are left as they are');
      return;
    }
    const host = this.ctx.executors.get(executorId)?.record.hostname ?? executorId;
    const records = this.model.instancesOn(executorId);
    await this.markLost(records, `Executor ${host} ${why}`);
  }

  private async markLost(candidates: InstanceRecord[], errorMessage: string): Promise<void> {
    // An instance already on its way to a terminal state (e.g. marked LOST by the executor-lost
    // event while a periodic sweep was running) keeps the first, more precise reason.
    const records = candidates.filter((r) => !TERMINAL_INSTANCE_STATES.has(this.model.latest(r.instanceId)?.state ?? r.state));
    if (records.length === 0) return;
    const now = this.ctx.clock.now();
    await Promise.all(records.map((r) => this.model.saveInstance({ ...r, state: 'LOST', errorMessage, updated: now })));
    for (const r of records) this.lastReport.delete(r.instanceId);
    this.options.onAppsAffected([...new Set(records.map((r) => r.appId))]);
  }

  /** An instance the controller does not hold: forget it when it is over, else stop it. */
  private async stranger(executorId: string, report: InstanceReport): Promise<void> {
    if (TERMINAL_INSTANCE_STATES.has(report.state)) {
      this.ctx.executors.send(executorId, { type: 'forget', instanceIds: [report.instanceId] });
      return;
    }
    if (this.strangersStopped.has(report.instanceId)) return;
    this.strangersStopped.add(report.instanceId);
    const known = await this.options.storedInstance(report.appId, report.instanceId);
    const reason = known
      ? `instance was already ${known.state} for the controller (it has been replaced)`
      : 'instance is not known to the controller';
    this.ctx.logger.warn({ executorId, instanceId: report.instanceId, appId: report.appId, state: report.state }, `stopping: ${reason}`);
    this.ctx.executors.send(executorId, { type: 'stopInstance', instanceId: report.instanceId, mode: 'FORCE', reason });
  }

  private guard(work: Promise<void>): void {
    work.catch((error: unknown) => this.ctx.logger.error({ err: error }, 'instance reconciliation failed'));
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
