/**
 * Node-filter fan-out (docs/tasks.md): a CREATE whose spec has a `nodeFilter` becomes a parent
 * task plus one subtask per matched executor, pinned to it, at most `opSpec.parallelism` of them
 * released to the scheduler at a time by the CREATE operation. The parent holds no resources and never runs anything; its state and
 * result follow its children:
 *
 *   PENDING ──a subtask left PENDING──▶ RUNNING ──every subtask terminal──▶ STOPPED
 *      └───────────────every subtask terminal (none ever ran)────────────────┘
 *
 * Parent `taskResult`: SUCCESSFUL 0 only if every subtask succeeded, CANCELLED -1 when it was
 * killed/aborted, else FAILED -1. Parent `result` (Drydock Status): success / partial_success /
 * failure once all ended, `incomplete` while running or when killed/aborted before all succeeded,
 * with one message per node.
 */
import type { ClusterOpSpec } from '../../api/spec-types.ts';
import type { DrydockStatus, StatusMessage, TaskRecord, TaskSpec, TaskState } from '../../api/task-types.ts';
import { newTaskInstanceId } from '../../common/ids.ts';
import type { ControllerContext } from '../context.ts';
import { addEvent, type CommitEffects, type LiveTask, type TaskManager } from './task-manager.ts';
import { PINNED_EXECUTOR_KEY, type TaskScheduler } from './task-scheduler.ts';
import { isTerminal, subtaskIdFor, taskKey } from './task-view.ts';

/** Metadata key naming the node a subtask runs on. */
export const NODE_NAME_KEY = 'NODE_NAME';

/** A matched node as the fan-out needs it. */
export interface FanoutNode {
  executorId: string;
  name: string;
}

interface ChildSummary {
  taskId: string;
  node: string;
  state: TaskState;
  result?: TaskRecord['taskResult'];
  errorMessage: string;
  updated: number;
}

/** Builds the parent and subtask records of a fan-out (subtask ids unique, in node order). */
export function buildFanoutRecords(spec: TaskSpec, opSpec: ClusterOpSpec, nodes: FanoutNode[], createdBy: string,
  now: number, deadline: number): TaskRecord[] {
  const used = new Set<string>();
  const subtasks: TaskRecord[] = nodes.map((node, index) => {
    let id = subtaskIdFor(spec.taskId, node.name);
    for (let n = 2; used.has(id); n++) id = `${subtaskIdFor(spec.taskId, node.name)}-${n}`;
    used.add(id);
    const subSpec: TaskSpec = { ...spec, taskId: id };
    delete subSpec.nodeFilter;
    return {
      sourceAppName: spec.sourceAppName, taskId: id, instanceId: newTaskInstanceId(), spec: subSpec, opSpec,
      hostname: '', state: 'PENDING', errorMessage: '', created: now, updated: now, createdBy,
      metadata: { [NODE_NAME_KEY]: node.name, [PINNED_EXECUTOR_KEY]: node.executorId },
      parentTaskId: spec.taskId, events: [{ time: now, type: 'Accepted', message: `Subtask of ${spec.taskId} for node ${node.name}` }],
      placementDeadline: index < opSpec.parallelism ? deadline : undefined,
    };
  });
  const parent: TaskRecord = {
    sourceAppName: spec.sourceAppName, taskId: spec.taskId, instanceId: newTaskInstanceId(), spec, opSpec,
    hostname: '', state: 'PENDING', errorMessage: '', created: now, updated: now, createdBy, metadata: {},
    subtaskIds: subtasks.map((s) => s.taskId),
    events: [{ time: now, type: 'Accepted', message: `Fanned out to ${nodes.length} node(s): ${nodes.map((n) => n.name).join(', ')}` }],
  };
  parent.result = aggregate(parent, subtasks.map(summaryOf));
  return [parent, ...subtasks];
}

function summaryOf(record: TaskRecord): ChildSummary {
  return {
    taskId: record.taskId, node: record.metadata[NODE_NAME_KEY] ?? record.taskId, state: record.state,
    result: record.taskResult, errorMessage: record.errorMessage, updated: record.updated,
  };
}

function nodeMessage(child: ChildSummary): StatusMessage {
  const ended = isTerminal(child.state);
  let message = ended
    ? `Task ${child.taskId} on ${child.node}: ${child.result?.status ?? 'FAILED'} (exit code ${child.result?.exitCode ?? -1})`
    : `Task ${child.taskId} on ${child.node} is ${child.state}`;
  if (child.errorMessage) message += `: ${child.errorMessage}`;
  return { message, error: ended && child.result?.status !== 'SUCCESSFUL', contextType: 'node', context: child.node, ts: child.updated };
}

/** The parent's Drydock Status from its children. */
function aggregate(parent: TaskRecord, children: ChildSummary[]): DrydockStatus {
  const total = children.length;
  const ended = children.filter((c) => isTerminal(c.state));
  const succeeded = ended.filter((c) => c.result?.status === 'SUCCESSFUL').length;
  const failedNodes = ended.filter((c) => c.result?.status !== 'SUCCESSFUL').map((c) => c.node);
  let status: DrydockStatus['status'];
  if (ended.length < total || (parent.killRequested && succeeded < total)) status = 'incomplete';
  else if (succeeded === total) status = 'success';
  else if (succeeded === 0) status = 'failure';
  else status = 'partial_success';
  let message = `${succeeded} of ${total} subtask(s) succeeded`;
  if (ended.length < total) message += `, ${total - ended.length} not finished`;
  let reason = failedNodes.length > 0 ? `Unsuccessful on node(s): ${failedNodes.join(', ')}` : '';
  if (parent.killRequested) reason = `Stopped by ${parent.killRequested.by}${reason ? `; ${reason}` : ''}`;
  return {
    kind: 'Status', apiVersion: 'v1', metadata: { sourceAppName: parent.sourceAppName, taskId: parent.taskId },
    message, reason, status,
    details: { errorCount: failedNodes.length, messageList: children.map(nodeMessage) },
  };
}

export class TaskFanout {
  private readonly ctx: ControllerContext;
  private readonly manager: TaskManager;
  private readonly scheduler: TaskScheduler;
  /** Children of active parents: parent key → subtaskId → summary. */
  private readonly children = new Map<string, Map<string, ChildSummary>>();

  constructor(ctx: ControllerContext, manager: TaskManager, scheduler: TaskScheduler) {
    this.ctx = ctx;
    this.manager = manager;
    this.scheduler = scheduler;
    manager.onCommit((live, before, after, fx) => this.childChanged(live, before, after, fx));
  }

  /** Starts following a parent (new, or loaded at start with its subtasks' records). */
  follow(parent: TaskRecord, subtasks: TaskRecord[]): void {
    this.children.set(taskKey(parent.sourceAppName, parent.taskId), new Map(subtasks.map((s) => [s.taskId, summaryOf(s)])));
  }

  isParent(record: TaskRecord): boolean {
    return this.children.has(taskKey(record.sourceAppName, record.taskId));
  }

  /** Subtasks of a parent still active in memory. */
  activeChildren(parent: TaskRecord): LiveTask[] {
    return (parent.subtaskIds ?? [])
      .map((id) => this.manager.get(parent.sourceAppName, id))
      .filter((live): live is LiveTask => live !== undefined);
  }

  /**
   * Hands a subtask to the scheduler: it becomes eligible for placement (its placement deadline
   * starts now) unless it already is. The fan-out's operation calls this at most
   * `opSpec.parallelism` at a time (task-operation-kind.ts).
   */
  async release(child: LiveTask): Promise<void> {
    const record = child.record;
    if (record.resources || record.killRequested || record.state !== 'PENDING') return;
    if (record.placementDeadline === undefined) {
      const deadline = this.scheduler.deadlineFrom(this.ctx.clock.now(), record);
      await this.manager.mutate(child, (draft) => {
        if (draft.placementDeadline !== undefined || draft.state !== 'PENDING') return false;
        draft.placementDeadline = deadline;
      });
    }
    if (child.record.state === 'PENDING' && !child.record.resources && !this.scheduler.isWaiting(child)) this.scheduler.enqueue(child);
  }

  private childChanged(_live: LiveTask, before: TaskRecord, after: TaskRecord, _fx: CommitEffects): void {
    if (!after.parentTaskId) return;
    if (before.state === after.state && before.errorMessage === after.errorMessage && before.taskResult === after.taskResult) return;
    const parentKey = taskKey(after.sourceAppName, after.parentTaskId);
    const summaries = this.children.get(parentKey);
    const parent = this.manager.get(after.sourceAppName, after.parentTaskId);
    if (!summaries || !parent) return;
    summaries.set(after.taskId, summaryOf(after));
    this.recompute(parent).catch((error: unknown) => {
      this.ctx.logger.error({ err: error, task: parentKey }, 'could not update a fan-out parent from its subtask');
    });
  }

  /** Recomputes the parent's state, result and taskResult from its children. */
  recompute(parent: LiveTask): Promise<void> {
    const summaries = this.children.get(parent.key);
    if (!summaries) return Promise.resolve();
    return this.manager.mutate(parent, (draft) => {
      const children = [...summaries.values()];
      const allEnded = children.every((c) => isTerminal(c.state));
      const anyStarted = children.some((c) => c.state !== 'PENDING');
      const before = JSON.stringify([draft.state, draft.taskResult, draft.result]);
      if (allEnded) {
        const allSucceeded = children.every((c) => c.result?.status === 'SUCCESSFUL');
        draft.taskResult = allSucceeded ? { status: 'SUCCESSFUL', exitCode: 0 }
          : draft.killRequested ? { status: 'CANCELLED', exitCode: -1 } : { status: 'FAILED', exitCode: -1 };
        draft.state = 'STOPPED';
        const failed = children.filter((c) => c.result?.status !== 'SUCCESSFUL').length;
        draft.errorMessage = allSucceeded ? '' : `${failed} of ${children.length} subtask(s) did not succeed`;
        addEvent(draft, this.ctx.clock.now(), 'Finished', `All ${children.length} subtask(s) ended`);
      } else if (anyStarted && draft.state === 'PENDING') {
        draft.state = 'RUNNING';
        draft.runningSince ??= this.ctx.clock.now();
      }
      draft.result = aggregate(draft, children);
      if (JSON.stringify([draft.state, draft.taskResult, draft.result]) === before) return false;
    }).then(() => {
      if (isTerminal(parent.record.state)) this.children.delete(parent.key);
    });
  }
}
