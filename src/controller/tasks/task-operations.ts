/**
 * Task operations as persisted jobs (issue 5): every accepted CREATE and KILL is an
 * OperationRecord, RUNNING until its task is terminal, then finished with a Drydock-style
 * result; state changes are OPERATION_STATE_CHANGE events (stream only).
 *
 *   RUNNING ──task ended──▶ COMPLETED | FAILED
 *      └──abort──▶ CANCELLING ──task ended──▶ CANCELLED
 *
 * CREATE: COMPLETED when the task (every subtask of a fan-out) succeeded, CANCELLED when it was
 * killed or aborted, FAILED otherwise. KILL: COMPLETED once the task stopped, FAILED if it was
 * LOST instead.
 */
import type { AbortMode, OperationRecord, OperationState } from '../../api/operation-types.ts';
import { ACTIVE_OPERATION_STATES } from '../../api/operation-types.ts';
import type { ClusterOpSpec } from '../../api/spec-types.ts';
import type { DrydockStatus, StatusValue, TaskRecord } from '../../api/task-types.ts';
import { newOperationId } from '../../common/ids.ts';
import type { ControllerContext } from '../context.ts';
import { GroupCommit } from '../store/group-commit.ts';
import { taskKey } from './task-view.ts';

export type TaskOperationType = 'CREATE' | 'KILL';

export class TaskOperationLog {
  private readonly ctx: ControllerContext;
  /** Active operations per task key. */
  private readonly active = new Map<string, OperationRecord[]>();
  /** Inserts and updates of task operations, group-committed: a task costs no commit of its own. */
  private readonly writes: GroupCommit<OperationRecord>;

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
    this.writes = new GroupCommit((records) => ctx.store.saveOperations(records), (record) => record.operationId);
  }

  /** Resolves when every queued operation write has settled (shutdown, tests). */
  settle(): Promise<void> {
    return this.writes.drain();
  }

  /** Loads active task operations (controller start). */
  async load(): Promise<void> {
    const records = await this.ctx.store.listOperations({ states: [...ACTIVE_OPERATION_STATES] });
    for (const op of records) {
      if (op.target.kind !== 'task') continue;
      this.remember(op);
    }
  }

  /** Task keys with active operations (to finish those whose task ended while we were down). */
  keys(): string[] {
    return [...this.active.keys()];
  }

  hasActive(sourceAppName: string, taskId: string, type?: TaskOperationType): boolean {
    const ops = this.active.get(taskKey(sourceAppName, taskId)) ?? [];
    return type ? ops.some((op) => op.type === type) : ops.length > 0;
  }

  /** Persists a new RUNNING operation; answers only after the insert. */
  async begin(type: TaskOperationType, target: { sourceAppName: string; taskId: string }, opSpec: ClusterOpSpec,
    createdBy: string, request: Record<string, unknown>, total = 1): Promise<OperationRecord> {
    const now = this.ctx.clock.now();
    const op: OperationRecord = {
      operationId: newOperationId(),
      type,
      target: { kind: 'task', sourceAppName: target.sourceAppName, taskId: target.taskId },
      opSpec,
      state: 'RUNNING',
      createdBy,
      created: now,
      updated: now,
      progress: { total, done: 0, failed: 0, inFlight: total },
      messages: [{ time: now, message: `${type} of task ${target.sourceAppName}/${target.taskId} accepted` }],
      request,
    };
    await this.writes.write(op);
    this.remember(op);
    this.emit(op);
    return op;
  }

  /** Forgets an operation whose task could not be created after all (its insert is undone by the caller). */
  async discard(op: OperationRecord): Promise<void> {
    this.drop(op);
    op.state = 'FAILED';
    op.finished = this.ctx.clock.now();
    op.updated = op.finished;
    op.messages = [...op.messages, { time: op.finished, message: 'The task could not be recorded', error: true }];
    await this.writes.write(op).catch(() => undefined);
  }

  /** Marks the task's active operations as being aborted. */
  async markAborted(sourceAppName: string, taskId: string, by: string, mode: AbortMode, deadline?: number): Promise<void> {
    const now = this.ctx.clock.now();
    for (const op of this.active.get(taskKey(sourceAppName, taskId)) ?? []) {
      const next: OperationRecord = {
        ...op, state: 'CANCELLING', abortedBy: by, abortMode: mode, abortedAt: now, abortDeadline: deadline, updated: now,
        messages: [...op.messages, { time: now, message: `${mode} abort requested by ${by}` }],
      };
      await this.save(op, next);
    }
  }

  /** Finishes the task's active operations now that it is terminal. */
  async finish(record: TaskRecord): Promise<void> {
    const ops = this.active.get(taskKey(record.sourceAppName, record.taskId)) ?? [];
    for (const op of [...ops]) {
      const now = this.ctx.clock.now();
      const result = resultFor(record, op);
      const state = finalState(op, record, result.status);
      const total = record.subtaskIds?.length ?? 1;
      const failed = record.result ? record.result.details.errorCount : result.status === 'success' ? 0 : 1;
      const next: OperationRecord = {
        ...op, state, updated: now, finished: now, result,
        progress: { total, done: total - failed, failed, inFlight: 0 },
        messages: [...op.messages, { time: now, message: result.message, error: state !== 'COMPLETED' || undefined }],
      };
      this.drop(op);
      await this.save(op, next);
    }
  }

  private async save(previous: OperationRecord, next: OperationRecord): Promise<void> {
    try {
      await this.writes.write(next);
    } catch (error) {
      this.ctx.logger.error({ err: error, operationId: next.operationId }, 'could not persist a task operation change');
      return;
    }
    if (ACTIVE_OPERATION_STATES.has(next.state)) this.replace(previous, next);
    if (previous.state !== next.state) this.emit(next);
  }

  private remember(op: OperationRecord): void {
    if (op.target.kind !== 'task') return;
    const key = taskKey(op.target.sourceAppName, op.target.taskId);
    this.active.set(key, [...(this.active.get(key) ?? []), op]);
  }

  private replace(previous: OperationRecord, next: OperationRecord): void {
    if (next.target.kind !== 'task') return;
    const key = taskKey(next.target.sourceAppName, next.target.taskId);
    const list = this.active.get(key) ?? [];
    this.active.set(key, list.map((op) => (op.operationId === previous.operationId ? next : op)));
  }

  private drop(op: OperationRecord): void {
    if (op.target.kind !== 'task') return;
    const key = taskKey(op.target.sourceAppName, op.target.taskId);
    const list = (this.active.get(key) ?? []).filter((o) => o.operationId !== op.operationId);
    if (list.length > 0) this.active.set(key, list);
    else this.active.delete(key);
  }

  private emit(op: OperationRecord): void {
    const metadata: Record<string, string | number> = {
      OPERATION_ID: op.operationId,
      OPERATION_TYPE: op.type,
      CURRENT_STATE: op.state,
      TARGET_KIND: 'task',
      CREATED: op.created,
    };
    if (op.target.kind === 'task') {
      metadata.APP_NAME = op.target.sourceAppName;
      metadata.TASK_ID = op.target.taskId;
    }
    this.ctx.events.emit('OPERATION_STATE_CHANGE', metadata).catch((error: unknown) => {
      this.ctx.logger.warn({ err: error }, 'could not record an operation state event');
    });
  }
}

function finalState(op: OperationRecord, record: TaskRecord, status: StatusValue): OperationState {
  if (op.state === 'CANCELLING') return 'CANCELLED';
  if (op.type === 'KILL') return record.state === 'LOST' ? 'FAILED' : 'COMPLETED';
  if (record.taskResult?.status === 'CANCELLED' || status === 'incomplete') return 'CANCELLED';
  return status === 'success' ? 'COMPLETED' : 'FAILED';
}

/** The operation's Drydock Status: the parent's aggregated result for a fan-out, else one task message. */
export function resultFor(record: TaskRecord, op: OperationRecord): DrydockStatus {
  const name = `${record.sourceAppName}/${record.taskId}`;
  const result = record.taskResult ?? { status: 'FAILED' as const, exitCode: -1 };
  if (op.type === 'CREATE' && record.result) return { ...record.result, metadata: { ...record.result.metadata, operationId: op.operationId } };
  let status: StatusValue;
  let message: string;
  if (op.type === 'KILL') {
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
    metadata: { operationId: op.operationId },
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
