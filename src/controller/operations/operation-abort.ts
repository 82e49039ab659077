/**
 * The abort API (issue 5, seed 004): abort a list of operations — or every active one when the
 * list is empty — GRACEFUL (steps in flight finish, nothing new starts; with a deadline after
 * which it becomes FORCE) or FORCE (in-flight steps interrupted, what they started killed).
 *
 * Application operations are aborted by this controller's engine. Task operations belong to the
 * tasks module: they are handed to its `abortTasks` (src/controller/tasks/task-abort.ts), which
 * answers per task; a task module that is not running answers `aborted: false` with the reason.
 */
import type { OperationRecord } from '../../api/operation-types.ts';
import type { OperationAbortRequest } from '../../api/validation/index.ts';
import { durationMillis } from '../../common/durations.ts';
import type { ControllerContext } from '../context.ts';
import { abortTasks as tasksModuleAbort, type TaskAbortCommand, type TaskAbortResult } from '../tasks/task-abort.ts';
import type { AbortAnswer, OperationEngine } from './operation-engine.ts';

/** The tasks module's abort (injectable for tests). */
export type AbortTasksFunction = (ctx: ControllerContext, command: TaskAbortCommand) => Promise<TaskAbortResult[]>;

export class OperationAborts {
  private readonly abortTasks: AbortTasksFunction;

  private readonly ctx: ControllerContext;
  private readonly engine: OperationEngine;

  constructor(
    ctx: ControllerContext,
    engine: OperationEngine,
    /** Injected in tests; by default the tasks module's. */
    abortTasks?: AbortTasksFunction,
  ) {
    this.ctx = ctx;
    this.engine = engine;
    this.abortTasks = abortTasks ?? tasksModuleAbort;
  }

  async abort(request: OperationAbortRequest, by: string): Promise<AbortAnswer[]> {
    const now = this.ctx.clock.now();
    const deadline = request.mode === 'GRACEFUL' && request.deadline ? now + durationMillis(request.deadline) : undefined;
    const ids = request.operationIds.length > 0 ? request.operationIds : await this.activeIds();
    const answers = new Map<string, AbortAnswer>();
    const taskOps: OperationRecord[] = [];
    for (const operationId of ids) {
      if (this.engine.get(operationId)) {
        answers.set(operationId, await this.engine.cancel(operationId, { kind: 'abort', by, mode: request.mode, deadline }));
        continue;
      }
      const record = await this.ctx.store.getOperation(operationId);
      if (!record) answers.set(operationId, { operationId, aborted: false, reason: `No operation found with id ${operationId}` });
      else if (record.state !== 'QUEUED' && record.state !== 'RUNNING' && record.state !== 'CANCELLING') {
        answers.set(operationId, { operationId, aborted: false, reason: `Operation ${operationId} has already finished (${record.state})` });
      } else if (record.target.kind === 'task') taskOps.push(record);
      else answers.set(operationId, { operationId, aborted: false, reason: `Operation ${operationId} is not running on this controller` });
    }
    if (taskOps.length > 0) for (const answer of await this.abortTaskOps(taskOps, request, by)) answers.set(answer.operationId, answer);
    return ids.map((id) => answers.get(id) ?? { operationId: id, aborted: false, reason: 'No answer from the tasks module' });
  }

  private async activeIds(): Promise<string[]> {
    const active = await this.ctx.store.listOperations({ states: ['QUEUED', 'RUNNING', 'CANCELLING'] });
    const ids = new Set(active.map((r) => r.operationId));
    for (const op of this.engine.list()) ids.add(op.operationId);
    return [...ids];
  }

  /** Task operations are aborted by aborting their tasks; the answer per task goes to each of its operations. */
  private async abortTaskOps(records: OperationRecord[], request: OperationAbortRequest, by: string): Promise<AbortAnswer[]> {
    const key = (sourceAppName: string, taskId: string) => `${sourceAppName}/${taskId}`;
    const tasks = new Map<string, { sourceAppName: string; taskId: string }>();
    for (const r of records) if (r.target.kind === 'task') tasks.set(key(r.target.sourceAppName, r.target.taskId), { sourceAppName: r.target.sourceAppName, taskId: r.target.taskId });
    let results: TaskAbortResult[];
    try {
      results = await this.abortTasks(this.ctx, { tasks: [...tasks.values()], mode: request.mode, deadline: request.deadline, by });
    } catch (error) {
      const reason = `Task abort failed: ${error instanceof Error ? error.message : String(error)}`;
      return records.map((r) => ({ operationId: r.operationId, aborted: false, reason }));
    }
    const byTask = new Map(results.map((r) => [key(r.sourceAppName, r.taskId), r]));
    return records.map((r) => {
      const result = r.target.kind === 'task' ? byTask.get(key(r.target.sourceAppName, r.target.taskId)) : undefined;
      if (!result) return { operationId: r.operationId, aborted: false, reason: 'The tasks module gave no answer for this task' };
      return result.reason === undefined
        ? { operationId: r.operationId, aborted: result.aborted }
        : { operationId: r.operationId, aborted: result.aborted, reason: result.reason };
    });
  }
}
