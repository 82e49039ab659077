/**
 * Stopping tasks: KILL (docs/api.md §3.1.2), abort (GRACEFUL | FORCE, docs/operations.md) and
 * maxRunDuration.
 *
 * A placed task gets `stopTask` (GRACEFUL: SIGTERM → kill timeout or the abort deadline →
 * SIGKILL; FORCE: SIGKILL now) and ends through the executor's reports with the requested
 * result (CANCELLED or TIMED_OUT, exit code -1). A task not yet placed ends STOPPED at once.
 * A parent stops its subtasks; subtasks still waiting for a parallelism slot end at once.
 * The request is persisted (`killRequested`, `terminatedBy`) before anything is sent, and
 * re-sent when the executor reconnects.
 */
import type { AbortMode } from '../../api/operation-types.ts';
import type { TaskRecord } from '../../api/task-types.ts';
import { durationMillis, type Duration } from '../../common/durations.ts';
import { MAX_TIMER_MS } from '../../common/long-timer.ts';
import type { ControllerContext } from '../context.ts';
import type { Operations } from '../operations/operations-port.ts';
import type { TaskFanout } from './task-fanout.ts';
import { addEvent, type LiveTask, type TaskManager } from './task-manager.ts';
import type { TaskScheduler } from './task-scheduler.ts';
import { isTerminal } from './task-view.ts';

export interface StopOptions {
  by: string;
  mode: AbortMode;
  resultStatus: 'CANCELLED' | 'TIMED_OUT';
  reason: string;
  /** GRACEFUL: SIGTERM → this long → SIGKILL (default: the configured kill timeout). */
  killTimeoutMs?: number;
}

/** One task to abort, as clients name it. */
export interface TaskRef {
  sourceAppName: string;
  taskId: string;
}

export interface TaskAbortCommand {
  /** Empty or absent: every active task. */
  tasks?: TaskRef[];
  mode: AbortMode;
  /** GRACEFUL only: how long between SIGTERM and SIGKILL (default: the configured kill timeout). */
  deadline?: Duration;
  /** Username of the caller. */
  by: string;
}

export interface TaskAbortResult {
  sourceAppName: string;
  taskId: string;
  aborted: boolean;
  reason?: string;
}

export class TaskStopper {
  private readonly ctx: ControllerContext;
  private readonly manager: TaskManager;
  private readonly scheduler: TaskScheduler;
  private readonly fanout: TaskFanout;
  private readonly operations: Pick<Operations, 'pending' | 'cancel'>;

  constructor(ctx: ControllerContext, manager: TaskManager, scheduler: TaskScheduler, fanout: TaskFanout) {
    this.ctx = ctx;
    this.manager = manager;
    this.scheduler = scheduler;
    this.fanout = fanout;
    this.operations = ctx.operations;
  }

  /** Requests the stop of one task (and its subtasks); resolves once the request is persisted. */
  async stop(live: LiveTask, options: StopOptions): Promise<void> {
    const record = live.record;
    if (isTerminal(record.state)) return;
    if (record.subtaskIds) {
      await this.stopParent(live, options);
      return;
    }
    if (!record.resources) {
      this.scheduler.remove(live);
      await this.manager.mutate(live, (draft) => {
        if (isTerminal(draft.state) || draft.resources) return false;
        endUnplaced(draft, options, this.ctx.clock.now());
      });
      // placed meanwhile: stop it on its executor instead
      if (!isTerminal(live.record.state)) await this.stop(live, options);
      return;
    }
    if (record.state === 'PENDING' && !live.reported) {
      // Its executor never acknowledged the start (it may never have got it): nothing on the
      // executor can end it, so the controller does, and frees its resources.
      await this.endUnacknowledged(live, options.resultStatus, options.by, `Stopped before ${this.executorName(record)} acknowledged its start: ${options.reason}`);
      return;
    }
    const previous = record.killRequested;
    if (previous && (previous.mode === 'FORCE' || options.mode === 'GRACEFUL')) return;
    const now = this.ctx.clock.now();
    await this.manager.mutate(live, (draft, fx) => {
      if (isTerminal(draft.state)) return false;
      draft.killRequested = { by: options.by, mode: options.mode, at: now };
      if (options.killTimeoutMs !== undefined) draft.killRequested.deadline = now + options.killTimeoutMs;
      draft.terminatedBy = options.by;
      addEvent(draft, now, options.resultStatus === 'TIMED_OUT' ? 'Timed out' : 'Kill requested', `${options.mode} stop by ${options.by}: ${options.reason}`);
      fx.after.push(() => this.sendStop(live, options));
    });
  }

  /**
   * Ends a placed task its executor has not acknowledged (STOPPED, the given result, -1), and
   * tells the executor to stop it in case the start reaches it after all.
   */
  async endUnacknowledged(live: LiveTask, resultStatus: 'CANCELLED' | 'FAILED' | 'TIMED_OUT', by: string | undefined, message: string): Promise<void> {
    const executorId = live.record.executorId;
    await this.manager.mutate(live, (draft, fx) => {
      if (isTerminal(draft.state) || draft.state !== 'PENDING' || live.reported) return false;
      draft.state = 'STOPPED';
      draft.taskResult = { status: resultStatus, exitCode: -1 };
      draft.errorMessage = message;
      if (by) draft.terminatedBy = by;
      delete draft.killRequested;
      addEvent(draft, this.ctx.clock.now(), resultStatus === 'FAILED' ? 'Not acknowledged' : 'Killed', message, resultStatus === 'FAILED');
      if (executorId) {
        fx.after.push(() => this.ctx.executors.send(executorId, {
          type: 'stopTask', instanceId: draft.instanceId, mode: 'FORCE', killTimeoutMs: 0, resultStatus: 'CANCELLED', reason: message,
        }));
      }
    });
  }

  private executorName(record: TaskRecord): string {
    const executor = record.executorId ? this.ctx.executors.get(record.executorId) : undefined;
    return `executor ${executor?.record.name ?? record.hostname ?? record.executorId ?? '?'}`;
  }

  /** Sends (or re-sends) `stopTask` for a placed task with a pending kill request. */
  sendStop(live: LiveTask, options?: StopOptions): void {
    const record = live.record;
    const request = record.killRequested;
    if (!record.executorId || !request || isTerminal(record.state)) return;
    const resultStatus = options?.resultStatus ?? (record.events.some((e) => e.type === 'Timed out') ? 'TIMED_OUT' : 'CANCELLED');
    const connection = this.manager.connectionOf(record.executorId);
    const sent = this.ctx.executors.send(record.executorId, {
      type: 'stopTask',
      instanceId: record.instanceId,
      mode: request.mode,
      killTimeoutMs: options?.killTimeoutMs ?? (request.deadline !== undefined ? Math.max(0, request.deadline - request.at) : this.ctx.config.killTimeoutMs),
      resultStatus,
      reason: options?.reason ?? `stop requested by ${request.by}`,
    });
    if (sent) live.stopSentOn = connection;
  }

  private async stopParent(parent: LiveTask, options: StopOptions): Promise<void> {
    const now = this.ctx.clock.now();
    const escalate = parent.record.killRequested?.mode === 'GRACEFUL' && options.mode === 'FORCE';
    if (!parent.record.killRequested || escalate) {
      await this.manager.mutate(parent, (draft) => {
        draft.killRequested = { by: options.by, mode: options.mode, at: now };
        draft.terminatedBy = options.by;
        addEvent(draft, now, 'Kill requested', `${options.mode} stop of every subtask by ${options.by}: ${options.reason}`);
      });
    }
    await Promise.all(this.fanout.activeChildren(parent.record).map((child) => this.stop(child, options)));
    // A parent whose subtasks all ended already (or never existed) settles now.
    await this.fanout.recompute(parent);
  }

  /**
   * `POST /tasks/abort`: resolves with one result per requested (or active top-level) task once
   * every stop request is persisted (not when the tasks have ended). The task's active operations
   * are aborted through the operation engine, so they end CANCELLED with who aborted them;
   * unknown or finished tasks answer `aborted: false` with the reason.
   */
  async abort(command: TaskAbortCommand): Promise<TaskAbortResult[]> {
    const refs = command.tasks && command.tasks.length > 0
      ? command.tasks
      : [...this.manager.active()].filter((t) => !t.record.parentTaskId).map((t) => ({ sourceAppName: t.record.sourceAppName, taskId: t.record.taskId }));
    const killTimeoutMs = command.deadline ? Math.min(durationMillis(command.deadline), MAX_TIMER_MS) : undefined;
    const results: TaskAbortResult[] = [];
    for (const ref of refs) {
      const live = this.manager.get(ref.sourceAppName, ref.taskId);
      if (!live) {
        const stored = await this.ctx.store.getTask(ref.sourceAppName, ref.taskId);
        results.push({
          ...ref, aborted: false,
          reason: stored ? `Task ${ref.sourceAppName}/${ref.taskId} has already finished (${stored.state})` : `No such task ${ref.sourceAppName}/${ref.taskId}`,
        });
        continue;
      }
      const deadline = killTimeoutMs !== undefined ? this.ctx.clock.now() + killTimeoutMs : undefined;
      for (const op of this.operations.pending({ kind: 'task', sourceAppName: ref.sourceAppName, taskId: ref.taskId })) {
        await this.operations.cancel(op.operationId, { kind: 'abort', by: command.by, mode: command.mode, deadline });
      }
      // A task whose operations were already being cancelled (or that has none) is stopped here.
      await this.stop(live, { by: command.by, mode: command.mode, resultStatus: 'CANCELLED', reason: `${command.mode} abort by ${command.by}`, killTimeoutMs });
      results.push({ ...ref, aborted: true });
    }
    return results;
  }
}

function endUnplaced(draft: TaskRecord, options: StopOptions, now: number): void {
  draft.state = 'STOPPED';
  draft.taskResult = { status: options.resultStatus, exitCode: -1 };
  draft.errorMessage = `Stopped before it was placed: ${options.reason}`;
  draft.terminatedBy = options.by;
  delete draft.killRequested;
  addEvent(draft, now, 'Killed', draft.errorMessage);
}
