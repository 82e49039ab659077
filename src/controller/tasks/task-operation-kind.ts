/**
 * Task operations as a kind of the operation engine (docs/operations.md): every accepted CREATE
 * and KILL is an operation record, RUNNING from its acceptance until its task is terminal, then
 * finished with a Drydock-style result (docs/sources.md#drydock).
 *
 *   RUNNING ──task ended──▶ COMPLETED | FAILED | CANCELLED (the task was killed)
 *      └──abort──▶ CANCELLING ──task ended──▶ CANCELLED
 *
 * CREATE of one task: the scheduler places and starts it; the run waits for its end.
 * CREATE of a node-filter fan-out: the run releases subtasks to the scheduler through the same
 * parallelism window app operations use (at most `opSpec.parallelism` placed at a time), then
 * waits for the parent, whose state and result follow its subtasks (task-fanout.ts).
 * KILL: COMPLETED once the task stopped, FAILED if it was LOST instead.
 * Abort (this kind's aborter): the task is stopped — GRACEFUL = SIGTERM, then SIGKILL after the
 * abort's deadline or the kill timeout; FORCE = SIGKILL now; a parent stops its subtasks.
 */
import type { OperationState } from '../../api/operation-types.ts';
import type { DrydockStatus, StatusValue, TaskRecord } from '../../api/task-types.ts';
import { MAX_TIMER_MS } from '../../common/long-timer.ts';
import type { ControllerContext } from '../context.ts';
import { OperationHaltedError, type CancelReason } from '../operations/cancel-reason.ts';
import type { OperationKind, OperationOutcome } from '../operations/operation-kind.ts';
import type { RunningOperation } from '../operations/running-operation.ts';
import { runStepWindow, type StepOutcome } from '../operations/step-window.ts';
import type { TaskFanout } from './task-fanout.ts';
import type { LiveTask, TaskManager } from './task-manager.ts';
import type { TaskStopper } from './task-stopper.ts';

export type TaskOperationType = 'CREATE' | 'KILL';
export const TASK_OPERATION_TYPES: readonly TaskOperationType[] = ['CREATE', 'KILL'];

export class TaskOperationKind implements OperationKind {
  readonly targetKind = 'task';
  readonly types = TASK_OPERATION_TYPES;
  readonly oneAtATimePerTarget = false;

  private readonly ctx: ControllerContext;
  private readonly manager: TaskManager;
  private readonly fanout: TaskFanout;
  private readonly stopper: TaskStopper;

  constructor(deps: { ctx: ControllerContext; manager: TaskManager; fanout: TaskFanout; stopper: TaskStopper }) {
    this.ctx = deps.ctx;
    this.manager = deps.manager;
    this.fanout = deps.fanout;
    this.stopper = deps.stopper;
  }

  async run(op: RunningOperation): Promise<OperationOutcome> {
    const target = op.record.target;
    if (target.kind !== 'task') throw new Error(`Not a task operation: ${op.operationId}`);
    const live = this.manager.get(target.sourceAppName, target.taskId);
    let record: TaskRecord | undefined;
    if (live) {
      if (op.record.type === 'CREATE' && live.record.subtaskIds) await this.runFanout(op, live);
      record = await this.ended(live, op);
    } else {
      // Ended while no controller was watching (or this run resumed after it ended).
      record = await this.ctx.store.getTask(target.sourceAppName, target.taskId);
      if (!record) return { state: 'FAILED', message: `Task ${target.sourceAppName}/${target.taskId} has no record`, reason: 'task not found' };
    }
    return outcomeOf(record, op.record.type, op.operationId);
  }

  /** Stops the operation's task (and a parent's subtasks); resolves once the stop is persisted. */
  async abort(op: RunningOperation, reason: CancelReason): Promise<void> {
    const target = op.record.target;
    if (target.kind !== 'task') return;
    const live = this.manager.get(target.sourceAppName, target.taskId);
    if (!live) return;
    const mode = reason.kind === 'abort' ? reason.mode : 'GRACEFUL';
    // The executor times SIGTERM → SIGKILL with a timer: a deadline past MAX_TIMER_MS waits the longest a timer can.
    const killTimeoutMs = reason.kind === 'abort' && reason.deadline !== undefined
      ? Math.min(Math.max(0, reason.deadline - this.ctx.clock.now()), MAX_TIMER_MS)
      : undefined;
    await this.stopper.stop(live, { by: reason.by, mode, resultStatus: 'CANCELLED', reason: `${mode} abort by ${reason.by}`, killTimeoutMs });
  }

  /** Releases the subtasks of a fan-out, `parallelism` at a time, until every one has ended. */
  private async runFanout(op: RunningOperation, parent: LiveTask): Promise<void> {
    const children = this.fanout.activeChildren(parent.record);
    const released = children.filter((c) => c.record.placementDeadline !== undefined || c.record.resources);
    const waiting = children.filter((c) => !released.includes(c));
    const total = parent.record.subtaskIds?.length ?? 0;
    const progress = op.record.progress;
    progress.total = total;
    progress.done = total - children.length;
    progress.failed = 0;
    progress.inFlight = 0;
    await runStepWindow<LiveTask>({
      resumed: released,
      steps: waiting,
      parallelism: parent.record.opSpec.parallelism,
      stopOnFailure: false,
      control: op.control,
      execute: async (child): Promise<StepOutcome> => {
        if (!parent.record.killRequested) await this.fanout.release(child);
        const ended = await this.ended(child, op);
        const status = ended.taskResult?.status ?? 'FAILED';
        return status === 'SUCCESSFUL' ? { status: 'done' } : { status: 'failed', message: `${ended.taskId}: ${status}`, timedOut: false };
      },
      onStarted: () => {
        progress.inFlight++;
      },
      onSettled: (_child, outcome) => {
        progress.inFlight--;
        if (outcome.status === 'done') progress.done++;
        else progress.failed++;
        op.persistSoon();
      },
    });
    op.throwIfHalted();
  }

  /** The task's terminal record; rejects with OperationHaltedError when the controller halts. */
  private ended(live: LiveTask, op: RunningOperation): Promise<TaskRecord> {
    const halt = op.haltSignal;
    if (halt.aborted) return Promise.reject(new OperationHaltedError());
    return new Promise((resolve, reject) => {
      const onHalt = () => reject(new OperationHaltedError());
      halt.addEventListener('abort', onHalt, { once: true });
      this.manager.whenEnded(live).then((record) => {
        halt.removeEventListener('abort', onHalt);
        resolve(record);
      }, reject);
    });
  }
}

/** The operation's end as the engine wants it, from its task's terminal record. */
export function outcomeOf(record: TaskRecord, type: string, operationId: string): OperationOutcome {
  const result = resultFor(record, type, operationId);
  const total = record.subtaskIds?.length ?? 1;
  const failed = record.result ? record.result.details.errorCount : result.status === 'success' ? 0 : 1;
  return {
    state: finalState(record, type, result.status),
    message: result.message,
    reason: result.reason,
    result,
    progress: { total, done: total - failed, failed },
  };
}

function finalState(record: TaskRecord, type: string, status: StatusValue): Extract<OperationState, OperationOutcome['state']> {
  if (type === 'KILL') return record.state === 'LOST' ? 'FAILED' : 'COMPLETED';
  if (record.taskResult?.status === 'CANCELLED' || status === 'incomplete') return 'CANCELLED';
  return status === 'success' ? 'COMPLETED' : 'FAILED';
}

/** The operation's Drydock Status: the parent's aggregated result for a fan-out, else one task message. */
export function resultFor(record: TaskRecord, type: string, operationId: string): DrydockStatus {
  const name = `${record.sourceAppName}/${record.taskId}`;
  const result = record.taskResult ?? { status: 'FAILED' as const, exitCode: -1 };
  if (type === 'CREATE' && record.result) return { ...record.result, metadata: { ...record.result.metadata, operationId } };
  let status: StatusValue;
  let message: string;
  if (type === 'KILL') {
    status = record.state === 'LOST' ? 'failure' : 'success';
    message = record.state === 'LOST' ? `Task ${name} was lost before it could be stopped` : `Task ${name} stopped (${result.status})`;
  } else {
    status = result.status === 'SUCCESSFUL' ? 'success' : result.status === 'CANCELLED' ? 'incomplete' : 'failure';
    message = `Task ${name} ended ${record.state} with result ${result.status} (exit code ${result.exitCode})`;
  }
  const error = status !== 'success';
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: { operationId },
    message,
    reason: error ? record.errorMessage : '',
    status,
    details: {
      errorCount: error ? 1 : 0,
      messageList: [{
        message: record.errorMessage ? `${message}: ${record.errorMessage}` : message,
        error, contextType: 'task', context: name, ts: record.updated,
      }],
    },
  };
}
