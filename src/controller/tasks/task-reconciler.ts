/**
 * What executors report, applied to task records: `taskUpdate` and `snapshot` reports (a later
 * `updated` wins), executors lost or forgetting work, and honest reconciliation when an
 * executor comes back with tasks the controller had given up on.
 *
 * Reconciliation rules (docs/tasks.md):
 *  - a placed task missing from its executor's snapshot: if the executor never acknowledged it
 *    and `startTask` went out on an earlier connection (or before a controller restart), it is
 *    sent again; if the executor had acknowledged it, the executor lost it → LOST;
 *  - an executor declared lost → its active tasks end LOST (result LOST -1), except in
 *    maintenance mode (then the periodic check does it once maintenance ends);
 *  - a task the controller already ended (LOST) but the executor still runs is stopped
 *    (its resources were released and clients were told LOST); when the executor reports its
 *    true end, the LOST record keeps its state and gains a `Reconciled` event and a note in
 *    `errorMessage` with the true result, and the executor is told to forget it;
 *  - a task unknown to the controller (record deleted) is stopped and then forgotten.
 */
import type { SnapshotMessage, TaskReport } from '../../api/channel-protocol.ts';
import type { TaskRecord, WorkloadEvent } from '../../api/task-types.ts';
import type { ControllerContext } from '../context.ts';
import type { LiveExecutor } from '../executors/live-executor.ts';
import type { TaskStopper } from './task-stopper.ts';
import { addEvent, type CommitEffects, type LiveTask, type TaskManager } from './task-manager.ts';
import type { TaskScheduler } from './task-scheduler.ts';
import { isStoreOutage } from '../store/store-health.ts';
import { isTerminal } from './task-view.ts';

function eventKey(e: WorkloadEvent): string {
  return `${e.time}|${e.type}|${e.message}`;
}

/** Applies one executor report to a draft; returns whether anything changed. */
export function applyReport(draft: TaskRecord, report: TaskReport, fx: CommitEffects, now: number): boolean {
  let changed = false;
  if (draft.state !== report.state) {
    draft.state = report.state;
    changed = true;
  }
  const result = report.taskResult;
  if (result && (draft.taskResult?.status !== result.status || draft.taskResult.exitCode !== result.exitCode)) {
    draft.taskResult = { status: result.status, exitCode: result.exitCode };
    changed = true;
  }
  if (report.errorMessage && report.errorMessage !== draft.errorMessage) {
    draft.errorMessage = report.errorMessage;
    changed = true;
  }
  if (report.events.length > 0) {
    const known = new Set(draft.events.map(eventKey));
    const fresh = report.events.filter((e) => !known.has(eventKey(e)));
    if (fresh.length > 0) {
      draft.events = [...draft.events, ...fresh].sort((a, b) => a.time - b.time);
      changed = true;
    }
  }
  if (draft.state === 'RUNNING' && draft.runningSince === undefined) {
    draft.runningSince = now;
    changed = true;
  }
  if (isTerminal(draft.state)) {
    fx.reportedTerminal = true;
    if (!draft.taskResult) {
      draft.taskResult = { status: 'FAILED', exitCode: -1 };
      if (!draft.errorMessage) draft.errorMessage = 'The executor reported no result for the task';
    }
    delete draft.killRequested;
  }
  return changed;
}

export class TaskReconciler {
  private readonly ctx: ControllerContext;
  private readonly manager: TaskManager;
  private readonly scheduler: TaskScheduler;
  private readonly stopper: TaskStopper;
  private readonly startedAt: number;
  /** Ended tasks an executor still runs: instanceId → connection on which the stop was sent. */
  private readonly strays = new Map<string, number>();
  private readonly detachers: (() => void)[] = [];

  constructor(ctx: ControllerContext, manager: TaskManager, scheduler: TaskScheduler, stopper: TaskStopper) {
    this.ctx = ctx;
    this.manager = manager;
    this.scheduler = scheduler;
    this.stopper = stopper;
    this.startedAt = ctx.clock.now();
  }

  attach(): void {
    const registry = this.ctx.executors;
    const on = <K extends 'taskUpdate' | 'snapshot' | 'connected' | 'lost'>(event: K, listener: (...args: never[]) => void) => {
      registry.on(event, listener as never);
      this.detachers.push(() => registry.off(event, listener as never));
    };
    on('taskUpdate', (executorId: string, report: TaskReport) => this.report(executorId, report));
    on('snapshot', (executorId: string, snapshot: SnapshotMessage) => this.snapshot(executorId, snapshot));
    on('connected', (executor: LiveExecutor) => {
      this.manager.noteConnected(executor.record.executorId);
      this.scheduler.kick();
    });
    on('lost', (executor: LiveExecutor) => this.executorLost(executor.record.executorId, executor.record.hostname));
  }

  detach(): void {
    for (const detach of this.detachers.splice(0)) detach();
  }

  /** One task report (a `taskUpdate`, or an entry of a snapshot). */
  report(executorId: string, report: TaskReport): void {
    const live = this.manager.byInstanceId(report.instanceId);
    if (!live) {
      this.unknownReport(executorId, report).catch((error: unknown) => {
        if (!isStoreOutage(error)) this.ctx.logger.warn({ err: error, executorId, instanceId: report.instanceId }, 'could not handle a report of an unknown task; the next snapshot retries');
      });
      return;
    }
    if (live.record.executorId !== executorId) {
      this.ctx.logger.warn({ executorId, instanceId: report.instanceId, placedOn: live.record.executorId }, 'task report from an executor it was not placed on; ignored');
      return;
    }
    if (report.updated < live.reportUpdated) return;
    live.reportUpdated = report.updated;
    live.reported = true;
    void this.manager.mutate(live, (draft, fx) => applyReport(draft, report, fx, this.ctx.clock.now())).catch(() => undefined);
    // a kill request lost with an old connection is sent again
    if (live.record.killRequested && !isTerminal(report.state) && (live.stopSentOn ?? -1) < this.manager.connectionOf(executorId)) {
      this.stopper.sendStop(live);
    }
  }

  snapshot(executorId: string, snapshot: SnapshotMessage): void {
    const reported = new Set<string>();
    for (const report of snapshot.tasks) {
      reported.add(report.instanceId);
      this.report(executorId, report);
    }
    const connection = this.manager.connectionOf(executorId);
    for (const live of [...this.manager.onExecutor(executorId)]) {
      const record = live.record;
      if (reported.has(record.instanceId) || isTerminal(record.state) || !record.resources) continue;
      if (record.state === 'PENDING' && !live.reported) {
        if (live.startSentOn === undefined || live.startSentOn < connection) this.scheduler.sendStart(live);
        continue;
      }
      const host = this.ctx.executors.get(executorId)?.record.hostname ?? executorId;
      this.markLost(live, `Executor ${host} no longer reports this task (its local state was lost)`);
    }
  }

  /** The registry declared an executor lost. */
  executorLost(executorId: string, hostname: string): void {
    if (this.ctx.cluster.inMaintenance()) return;
    const seconds = Math.round(this.ctx.config.executorLostAfterMs / 1000);
    for (const live of [...this.manager.onExecutor(executorId)]) {
      this.markLost(live, `Executor ${hostname} (${executorId}) was lost: nothing heard from it for over ${seconds} s`);
    }
  }

  /**
   * Periodic safety net: placed tasks whose executor is gone (never came back after a controller
   * restart, or was lost during maintenance) end LOST once the lost grace period has passed.
   */
  checkLost(now: number): void {
    if (this.ctx.cluster.inMaintenance()) return;
    const grace = this.ctx.config.executorLostAfterMs;
    for (const executorId of this.manager.executorIds()) {
      const executor = this.ctx.executors.get(executorId);
      if (executor?.connected) continue;
      const since = Math.max(this.startedAt, executor?.record.lastSeen ?? 0);
      if (executor?.record.lostAt === undefined && now - since <= grace) continue;
      this.executorLost(executorId, executor?.record.hostname ?? executorId);
    }
  }

  /** Ends a task LOST. A failed write is logged; the periodic `checkLost` tries again. */
  /**
   * Starts a connected executor has not acknowledged within `startAckTimeoutMs` fail: it never got
   * them (a frame it refused) or cannot run them, and nothing else would ever end them.
   */
  checkUnacknowledged(now: number): void {
    const limit = this.ctx.config.startAckTimeoutMs;
    for (const executorId of this.manager.executorIds()) {
      const executor = this.ctx.executors.get(executorId);
      if (!executor?.connected) continue;
      for (const live of [...this.manager.onExecutor(executorId)]) {
        if (live.reported || live.record.state !== 'PENDING' || live.startSentAt === undefined || now - live.startSentAt < limit) continue;
        const message = `Executor ${executor.record.name} did not acknowledge the start within ${Math.round(limit / 1000)} s`;
        this.stopper.endUnacknowledged(live, 'FAILED', undefined, message).catch((error: unknown) => {
          if (!isStoreOutage(error)) this.ctx.logger.warn({ err: error, task: live.key }, 'could not end an unacknowledged task; retrying');
        });
      }
    }
  }

  markLost(live: LiveTask, message: string): void {
    this.manager.mutate(live, (draft) => {
      if (isTerminal(draft.state)) return false;
      draft.state = 'LOST';
      draft.taskResult = { status: 'LOST', exitCode: -1 };
      draft.errorMessage = message;
      delete draft.killRequested;
      addEvent(draft, this.ctx.clock.now(), 'Lost', message, true);
    }).catch((error: unknown) => {
      if (!isStoreOutage(error)) this.ctx.logger.warn({ err: error, task: live.key }, 'could not record a lost task; retried by the periodic check');
    });
  }

  private async unknownReport(executorId: string, report: TaskReport): Promise<void> {
    const recent = this.manager.recentlyEndedOn(report.instanceId);
    let record: TaskRecord | undefined;
    if (!recent || (isTerminal(report.state) && recent.executorId === executorId)) {
      record = await this.ctx.store.getTask(report.sourceAppName, report.taskId).catch(() => undefined);
      if (record && record.instanceId !== report.instanceId) record = undefined;
    }
    if (this.manager.byInstanceId(report.instanceId)) return; // created meanwhile
    if (isTerminal(report.state)) {
      if (record?.state === 'LOST' && report.taskResult && !record.events.some((e) => e.type === 'Reconciled')) await this.noteTrueEnd(record, report);
      this.strays.delete(report.instanceId);
      this.manager.forget(executorId, report.instanceId);
      return;
    }
    const connection = this.manager.connectionOf(executorId);
    if ((this.strays.get(report.instanceId) ?? -1) >= connection) return;
    this.strays.set(report.instanceId, connection);
    const why = recent || record ? 'the controller had already ended it (its executor was lost)' : 'it is unknown to the controller';
    this.ctx.logger.warn({ executorId, instanceId: report.instanceId, task: `${report.sourceAppName}/${report.taskId}` }, `stopping a task its executor still runs: ${why}`);
    this.ctx.executors.send(executorId, {
      type: 'stopTask', instanceId: report.instanceId, mode: 'GRACEFUL', killTimeoutMs: this.ctx.config.killTimeoutMs,
      resultStatus: 'CANCELLED', reason: `Stopped by the controller: ${why}`,
    });
  }

  /** A LOST record learns how its task really ended (state and result stay LOST). */
  private async noteTrueEnd(record: TaskRecord, report: TaskReport): Promise<void> {
    const result = report.taskResult!;
    const message = `The executor came back and reported the task ended ${report.state} with ${result.status} (exit code ${result.exitCode})`;
    const next: TaskRecord = { ...record, updated: Math.max(record.updated, this.ctx.clock.now()), errorMessage: `${record.errorMessage}. ${message}` };
    addEvent(next, this.ctx.clock.now(), 'Reconciled', message);
    await this.ctx.store.updateTask(next).catch((error: unknown) => {
      if (!isStoreOutage(error)) this.ctx.logger.warn({ err: error }, 'could not record a reconciled task end');
    });
  }
}
