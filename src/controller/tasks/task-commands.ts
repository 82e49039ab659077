/**
 * The task commands behind the routes (docs/api.md §3): CREATE (plain or fanned out over a node
 * filter), KILL, validate and delete — every check and rejection message, and the order of
 * writes: records and their operation are persisted before the client is answered, and a
 * rejected command leaves nothing behind.
 */
import type { ClusterOpSpec } from '../../api/spec-types.ts';
import type { TaskRecord, TaskSpec } from '../../api/task-types.ts';
import { checkTaskSpec, type SpecLimits } from '../../api/validation/index.ts';
import { durationMillis } from '../../common/durations.ts';
import { CommandValidationError } from '../../common/errors.ts';
import { internalTaskId, newTaskInstanceId } from '../../common/ids.ts';
import type { ControllerContext } from '../context.ts';
import type { LiveExecutor } from '../executors/live-executor.ts';
import { capacityCheck } from '../scheduler/placement.ts';
import { describeNodeFilter, matchNodeFilter, type FilterNode } from '../scheduler/node-filter.ts';
import { GroupCommit } from '../store/group-commit.ts';
import { DuplicateRecordError, type Store } from '../store/store.ts';
import type { TaskStopper } from './task-stopper.ts';
import { buildFanoutRecords, type TaskFanout } from './task-fanout.ts';
import type { LiveTask, TaskManager } from './task-manager.ts';
import type { TaskOperationType } from './task-operation-kind.ts';
import type { TaskScheduler } from './task-scheduler.ts';
import { isTerminal, taskKey } from './task-view.ts';

/** A node of the inventory a node filter runs over: a known, not lost, not removed executor. */
export interface InventoryNode extends FilterNode {
  executor: LiveExecutor;
}

export function nodeInventory(executors: LiveExecutor[]): InventoryNode[] {
  return executors
    .filter((e) => e.record.executorState !== 'REMOVED' && (e.connected || e.record.lostAt === undefined))
    .map((e) => ({
      id: e.record.executorId, name: e.record.name, hostname: e.record.hostname, tags: e.record.tags,
      labels: e.record.labels, rack: e.record.rack, rackLabels: e.record.rackLabels, executor: e,
    }));
}

export function duplicateMessage(sourceAppName: string, taskId: string): string {
  return `Task already exists for ${sourceAppName}/${taskId} with taskID: ${internalTaskId(sourceAppName, taskId)}`;
}

export interface TaskCommandDeps {
  ctx: ControllerContext;
  manager: TaskManager;
  scheduler: TaskScheduler;
  fanout: TaskFanout;
  stopper: TaskStopper;
}

export class TaskCommands {
  private readonly deps: TaskCommandDeps;
  /** Pairs with a CREATE in flight (a second concurrent CREATE is a duplicate). */
  private readonly creating = new Set<string>();
  /**
   * New task records, group-committed: the CREATEs of one turn cost one transaction (one fsync
   * under durable SQLite) instead of one each. Each CREATE's records are all or nothing.
   */
  private readonly inserts: GroupCommit<TaskRecord[]>;

  constructor(deps: TaskCommandDeps) {
    this.deps = deps;
    this.inserts = new GroupCommit((groups) => insertGroups(deps.ctx.store, groups));
  }

  limits(): SpecLimits {
    const { config } = this.deps.ctx;
    return { allowedMountDirs: config.allowedMountDirs, enableRawDeviceAccess: config.enableRawDeviceAccess, disableCmdlArgs: config.disableCmdlArgs };
  }

  /** Create-time checks other than duplicates: spec rules, then capacity or node matching. */
  check(spec: TaskSpec): { messages: string[]; nodes: InventoryNode[] } {
    const messages = checkTaskSpec(spec, this.limits());
    let nodes: InventoryNode[] = [];
    if (spec.nodeFilter) {
      nodes = matchNodeFilter(spec.nodeFilter, nodeInventory(this.deps.ctx.executors.list()));
      if (nodes.length === 0) messages.push(`nodeFilter matches no executor: ${describeNodeFilter(spec.nodeFilter)}`);
    } else if (messages.length === 0) {
      messages.push(...capacityCheck(this.deps.ctx, this.deps.scheduler.requestFor({ spec, sourceAppName: spec.sourceAppName, metadata: {} }), 1));
    }
    return { messages, nodes };
  }

  /** `POST /tasks/validate/spec`: every create-time check except the duplicate check. */
  validate(spec: TaskSpec): void {
    const { messages } = this.check(spec);
    if (messages.length > 0) throw new CommandValidationError(messages);
  }

  async create(spec: TaskSpec, opSpec: ClusterOpSpec, by: string): Promise<{ taskId: string; operationId: string }> {
    const { ctx, manager, scheduler, fanout } = this.deps;
    const key = taskKey(spec.sourceAppName, spec.taskId);
    if (this.creating.has(key)) throw new CommandValidationError(duplicateMessage(spec.sourceAppName, spec.taskId));
    this.creating.add(key);
    try {
      // Active pairs are in memory; a finished record still in the store makes the insert fail as a duplicate.
      if (this.deps.manager.get(spec.sourceAppName, spec.taskId) || (spec.nodeFilter && await this.exists(spec.sourceAppName, spec.taskId))) {
        throw new CommandValidationError(duplicateMessage(spec.sourceAppName, spec.taskId));
      }
      const { messages, nodes } = this.check(spec);
      if (messages.length > 0) throw new CommandValidationError(messages);
      const now = ctx.clock.now();
      const deadline = now + durationMillis(opSpec.timeout);
      let records: TaskRecord[];
      if (spec.nodeFilter) {
        records = buildFanoutRecords(spec, opSpec, nodes.map((n) => ({ executorId: n.id, name: n.name })), by, now, deadline);
        for (const sub of records.slice(1)) {
          if (await this.exists(sub.sourceAppName, sub.taskId)) throw new CommandValidationError(duplicateMessage(sub.sourceAppName, sub.taskId));
        }
      } else {
        const record: TaskRecord = {
          sourceAppName: spec.sourceAppName, taskId: spec.taskId, instanceId: newTaskInstanceId(), spec, opSpec,
          hostname: '', state: 'PENDING', errorMessage: '', metadata: {}, created: now, updated: now, createdBy: by,
          events: [{ time: now, type: 'Accepted', message: `Accepted from ${by}` }], placementDeadline: deadline,
        };
        const placed = scheduler.tryPlace(record);
        if (!('error' in placed)) scheduler.applyPlacement(record, placed.executorId, placed.allocation);
        records = [record];
      }
      const lives = await this.insert(records);
      // The fan-out's operation releases the subtasks as soon as it runs: follow them first.
      if (spec.nodeFilter) fanout.follow(lives[0].record, records.slice(1));
      let operationId: string;
      try {
        operationId = await this.submitOperation('CREATE', spec.sourceAppName, spec.taskId, opSpec, by, Math.max(1, records.length - 1));
      } catch (error) {
        for (const live of lives) manager.untrack(live);
        for (const record of records) await ctx.store.deleteTask(record.sourceAppName, record.taskId).catch(() => false);
        throw error;
      }
      for (const live of lives) manager.emitStateChange(live.record);
      // A fan-out's subtasks are released by its CREATE operation (task-operation-kind.ts).
      const [first] = lives;
      if (!spec.nodeFilter) {
        if (first.record.resources) scheduler.sendStart(first);
        else scheduler.enqueue(first);
      }
      return { taskId: internalTaskId(spec.sourceAppName, spec.taskId), operationId };
    } finally {
      this.creating.delete(key);
    }
  }

  async kill(sourceAppName: string, taskId: string, opSpec: ClusterOpSpec, by: string): Promise<{ taskId: string; operationId: string }> {
    const { ctx, manager, stopper } = this.deps;
    const live = manager.get(sourceAppName, taskId);
    if (!live || isTerminal(live.record.state)) {
      throw new CommandValidationError(`Either task does not exist or has already finished for ${sourceAppName}/${taskId}`);
    }
    const killing = ctx.operations.pending({ kind: 'task', sourceAppName, taskId }).some((op) => op.record.type === 'KILL');
    if (killing || live.record.killRequested) throw new CommandValidationError('Could not schedule job to stop the task.');
    const operationId = await this.submitOperation('KILL', sourceAppName, taskId, opSpec, by, live.record.subtaskIds?.length ?? 1);
    await stopper.stop(live, { by, mode: 'GRACEFUL', resultStatus: 'CANCELLED', reason: `KILL by ${by}` });
    return { taskId, operationId };
  }

  /** Stores the task's operation (acknowledged only after this) and lets the engine follow it. */
  private async submitOperation(type: TaskOperationType, sourceAppName: string, taskId: string, opSpec: ClusterOpSpec, by: string,
    total: number): Promise<string> {
    const { operations } = this.deps.ctx;
    const record = operations.newRecord({ type, target: { kind: 'task', sourceAppName, taskId }, opSpec, createdBy: by, request: { type, sourceAppName, taskId } });
    record.progress = { total, done: 0, failed: 0, inFlight: total };
    await operations.submit(record);
    return record.operationId;
  }

  /** Deletes a terminal record (and a terminal parent's subtasks); false when unknown, active, or part of an active fan-out. */
  async remove(sourceAppName: string, taskId: string): Promise<boolean> {
    const { ctx, manager } = this.deps;
    if (manager.get(sourceAppName, taskId)) return false;
    const record = await ctx.store.getTask(sourceAppName, taskId);
    if (!record || !isTerminal(record.state)) return false;
    if (record.parentTaskId && manager.get(sourceAppName, record.parentTaskId)) return false;
    const deleted = await ctx.store.deleteTask(sourceAppName, taskId);
    for (const sub of record.subtaskIds ?? []) {
      const child = await ctx.store.getTask(sourceAppName, sub);
      if (child && isTerminal(child.state)) await ctx.store.deleteTask(sourceAppName, sub);
    }
    return deleted;
  }

  private async exists(sourceAppName: string, taskId: string): Promise<boolean> {
    if (this.deps.manager.get(sourceAppName, taskId)) return true;
    return (await this.deps.ctx.store.getTask(sourceAppName, taskId)) !== undefined;
  }

  private async insert(records: TaskRecord[]): Promise<LiveTask[]> {
    const { ctx, manager } = this.deps;
    try {
      await this.inserts.write(records);
    } catch (error) {
      for (const record of records) ctx.ledger.release(record.instanceId);
      if (error instanceof DuplicateRecordError || (error as { code?: string }).code === 'DUPLICATE_RECORD') {
        throw new CommandValidationError(duplicateMessage(records[0].sourceAppName, records[0].taskId));
      }
      throw error;
    }
    return records.map((record) => manager.track(record));
  }
}

/**
 * Inserts every group in one transaction; if that fails on a duplicate, each group alone, so
 * only the group that holds the duplicate fails (answers per group, in order).
 */
async function insertGroups(store: Store, groups: TaskRecord[][]): Promise<(unknown | undefined)[] | void> {
  if (groups.length === 1) return store.insertTasks(groups[0]);
  try {
    await store.insertTasks(groups.flat());
    return;
  } catch (error) {
    if (!(error instanceof DuplicateRecordError)) throw error;
  }
  const answers: (unknown | undefined)[] = [];
  for (const group of groups) answers.push(await store.insertTasks(group).then(() => undefined, (error: unknown) => error));
  return answers;
}
