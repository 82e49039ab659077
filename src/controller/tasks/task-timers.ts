/**
 * Time-driven task work, on one periodic tick compared against the injected Clock:
 * placement deadlines and retries, `maxRunDuration` (stopTask with TIMED_OUT), the
 * lost-executor safety net and the unacknowledged-start deadline. Retention of terminal records is a separate, slower sweep
 * (task-retention.ts).
 */
import { durationMillis, formatDuration } from '../../common/durations.ts';
import type { ControllerContext } from '../context.ts';
import type { TaskStopper } from './task-stopper.ts';
import type { LiveTask, TaskManager } from './task-manager.ts';
import type { TaskScheduler } from './task-scheduler.ts';
import type { TaskReconciler } from './task-reconciler.ts';
import { isTerminal } from './task-view.ts';

/** Who is named as the terminator of a task stopped for running too long. */
export const SYSTEM_USER = 'corral';

export class TaskTimers {
  private readonly ctx: ControllerContext;
  private readonly manager: TaskManager;
  private readonly scheduler: TaskScheduler;
  private readonly stopper: TaskStopper;
  private readonly reconciler: TaskReconciler;
  /** Running tasks with a maxRunDuration. */
  private readonly bounded = new Set<LiveTask>();
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;

  constructor(ctx: ControllerContext, manager: TaskManager, scheduler: TaskScheduler, stopper: TaskStopper, reconciler: TaskReconciler) {
    this.ctx = ctx;
    this.manager = manager;
    this.scheduler = scheduler;
    this.stopper = stopper;
    this.reconciler = reconciler;
    manager.onCommit((live, _before, after) => {
      if (isTerminal(after.state)) this.bounded.delete(live);
      else if (after.spec.maxRunDuration && after.runningSince !== undefined && !after.subtaskIds) this.bounded.add(live);
    });
  }

  /** Registers a task loaded from the store. */
  track(live: LiveTask): void {
    const record = live.record;
    if (record.spec.maxRunDuration && record.runningSince !== undefined && !record.subtaskIds) this.bounded.add(live);
  }

  start(intervalMs = 200): void {
    this.timer ??= setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  tick(): void {
    const now = this.ctx.clock.now();
    this.ticks++;
    try {
      this.scheduler.expire(now);
      if (this.ticks % 5 === 0) this.scheduler.pass();
      this.enforceMaxRun(now);
      if (this.ticks % 5 === 0) {
        this.reconciler.checkLost(now);
        this.reconciler.checkUnacknowledged(now);
      }
    } catch (error) {
      this.ctx.logger.error({ err: error }, 'task timer tick failed');
    }
  }

  private enforceMaxRun(now: number): void {
    for (const live of this.bounded) {
      const record = live.record;
      const limit = record.spec.maxRunDuration;
      if (isTerminal(record.state) || !limit || record.runningSince === undefined) {
        this.bounded.delete(live);
        continue;
      }
      if (record.killRequested || now < record.runningSince + durationMillis(limit)) continue;
      this.bounded.delete(live);
      void this.stopper.stop(live, {
        by: SYSTEM_USER, mode: 'GRACEFUL', resultStatus: 'TIMED_OUT',
        reason: `ran longer than its maxRunDuration of ${formatDuration(limit)}`,
      }).catch(() => this.bounded.add(live));
    }
  }
}
