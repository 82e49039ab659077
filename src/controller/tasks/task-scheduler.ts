/**
 * Placing tasks: an eligible unplaced PENDING task is placed at once when possible, otherwise
 * it waits (FIFO) and is retried whenever resources may have changed (a task ended, an
 * executor connected) and on the periodic tick, until its `placementDeadline`; then it ends
 * STOPPED with `{FAILED, -1}` and an errorMessage saying why no executor could take it.
 *
 * Placing = ledger allocation (in memory) → record persisted with executorId/hostname/resources
 * → `startTask` sent. A crash between the commit and the send is repaired by the executor's
 * snapshot (the task is missing from it, so `startTask` is sent again).
 */
import { durationMillis, formatDuration } from '../../common/durations.ts';
import type { TaskRecord } from '../../api/task-types.ts';
import { allocationToWire, type Allocation } from '../../api/resource-types.ts';
import { allocationFromWire } from '../scheduler/resource-ledger.ts';
import { place, type PlacementRequest, type PlacementResult } from '../scheduler/placement.ts';
import type { ControllerContext } from '../context.ts';
import { addEvent, type LiveTask, type TaskManager } from './task-manager.ts';
import { needsControllerFetch, resolveControllerConfigs } from '../configs/controller-fetch.ts';
import { TaskStartSender } from './task-start-sender.ts';
import { isStoreOutage } from '../store/store-health.ts';
import { isTerminal } from './task-view.ts';

/** Metadata key pinning a fanned-out subtask to its executor. */
export const PINNED_EXECUTOR_KEY = 'NODE_EXECUTOR_ID';

function resourceNeeds(record: Pick<TaskRecord, 'spec'>): { cores: number; memoryMB: number } {
  let cores = 0;
  let memoryMB = 0;
  for (const r of record.spec.resources) {
    if (r.type === 'CPU') cores += r.count;
    else memoryMB += r.sizeInMB;
  }
  return { cores, memoryMB };
}

export class TaskScheduler {
  private readonly ctx: ControllerContext;
  private readonly manager: TaskManager;
  /** Eligible unplaced tasks, oldest first. */
  private readonly waiting = new Map<string, LiveTask>();
  private kickScheduled = false;
  private readonly starts: TaskStartSender;

  constructor(ctx: ControllerContext, manager: TaskManager) {
    this.ctx = ctx;
    this.manager = manager;
    this.starts = new TaskStartSender(ctx, (executorId) => manager.connectionOf(executorId));
  }

  /** Sends the starts still queued for this turn (module stop). */
  flushStarts(): void {
    this.starts.flush();
  }

  get waitingCount(): number {
    return this.waiting.size;
  }

  /** The placement request of a record (subtasks are pinned to their node, without the implicit NO_TAG rule). */
  requestFor(record: Pick<TaskRecord, 'spec' | 'sourceAppName' | 'metadata'>): PlacementRequest {
    const pinned = record.metadata[PINNED_EXECUTOR_KEY];
    const { cores, memoryMB } = resourceNeeds(record);
    return {
      policy: record.spec.placementPolicy,
      // A node filter picked the node explicitly, tagged or not; only the spec's own policy still applies.
      explicitNodes: pinned !== undefined,
      executableType: record.spec.executable.type,
      cores,
      memoryMB,
      groupKey: record.sourceAppName,
      countsPerExecutor: this.manager.countsFor(record.sourceAppName),
      environment: record.spec.env,
      onlyExecutors: pinned ? new Set([pinned]) : undefined,
    };
  }

  /** Tries to take resources for a new record (CREATE path, before its insert). */
  tryPlace(record: TaskRecord): PlacementResult {
    if (this.waiting.size > 0) return { error: 'older tasks are waiting for resources' };
    return place(this.ctx, this.requestFor(record), record.instanceId);
  }

  /** Writes a successful placement into a draft. */
  applyPlacement(draft: TaskRecord, executorId: string, allocation: Allocation): void {
    const executor = this.ctx.executors.get(executorId);
    draft.executorId = executorId;
    draft.hostname = executor?.record.hostname ?? '';
    draft.resources = allocationToWire(allocation);
    addEvent(draft, this.ctx.clock.now(), 'Placed', `Placed on executor ${executor?.record.name ?? executorId} (${draft.hostname})`);
  }

  /** Queues an eligible unplaced task and tries to place it soon. */
  enqueue(live: LiveTask): void {
    this.waiting.set(live.key, live);
    this.kick();
  }

  remove(live: LiveTask): void {
    this.waiting.delete(live.key);
  }

  isWaiting(live: LiveTask): boolean {
    return this.waiting.has(live.key);
  }

  /** Retries waiting tasks on the next turn (debounced). */
  kick(): void {
    if (this.kickScheduled || this.waiting.size === 0) return;
    this.kickScheduled = true;
    setImmediate(() => {
      this.kickScheduled = false;
      this.pass();
    });
  }

  /** One placement pass over the waiting tasks, oldest first. */
  pass(): void {
    // Within one pass a shape that did not fit will not fit later in the pass either.
    const failedShapes = new Set<string>();
    for (const live of [...this.waiting.values()]) {
      const record = live.record;
      if (record.state !== 'PENDING' || record.resources || record.killRequested || isTerminal(record.state)) {
        this.waiting.delete(live.key);
        continue;
      }
      const request = this.requestFor(record);
      const shape = `${record.sourceAppName}|${request.executableType}|${request.cores}|${request.memoryMB}|${JSON.stringify(request.policy)}|${record.metadata[PINNED_EXECUTOR_KEY] ?? ''}`;
      if (failedShapes.has(shape)) continue;
      const result = place(this.ctx, request, record.instanceId);
      if ('error' in result) {
        failedShapes.add(shape);
        continue;
      }
      this.waiting.delete(live.key);
      this.commitPlacement(live, result.executorId, result.allocation);
    }
  }

  private commitPlacement(live: LiveTask, executorId: string, allocation: Allocation): void {
    this.manager.mutate(live, (draft, fx) => {
      if (draft.state !== 'PENDING' || draft.resources || draft.killRequested) {
        fx.after.push(() => this.ctx.ledger.release(draft.instanceId));
        return false;
      }
      this.applyPlacement(draft, executorId, allocation);
      fx.after.push(() => this.sendStart(live));
    }).catch(() => {
      // not persisted: give the resources back and try again later
      this.ctx.ledger.release(live.record.instanceId);
      if (!live.record.resources) this.enqueue(live);
    });
  }

  /** Sends (or re-sends) `startTask` for a placed task. */
  sendStart(live: LiveTask): void {
    const record = live.record;
    if (!record.executorId || !record.resources || record.killRequested || isTerminal(record.state)) return;
    const allocation = allocationFromWire(record.resources);
    if (!allocation) return;
    const executorId = record.executorId;
    const send = (spec: TaskRecord['spec']) => {
      this.starts.send(executorId, {
        type: 'startTask', instanceId: record.instanceId, spec, allocation, killTimeoutMs: this.ctx.config.killTimeoutMs,
      }, (connection) => {
        live.startSentOn = connection;
        live.startSentAt = this.ctx.clock.now();
      });
    };
    if (!needsControllerFetch(record.spec.configs)) {
      send(record.spec);
      return;
    }
    resolveControllerConfigs(record.spec.configs ?? [], this.ctx.config.controllerFetchMaxBytes)
      .then((configs) => send({ ...record.spec, configs }), (error: Error) => this.fail(live, error.message, 'Config fetch failed'))
      // Neither sent nor ended (the store is failing): the executor's next snapshot, which lacks
      // the task, makes the reconciler send the start again (task-reconciler.ts).
      .catch((error: unknown) => {
        if (!isStoreOutage(error)) this.ctx.logger.warn({ err: error, task: live.key }, 'could not start or fail a task after fetching its configs');
      });
  }

  /** Ends a task that was never started (STOPPED, FAILED -1). */
  fail(live: LiveTask, message: string, eventType = 'Not placed'): Promise<void> {
    this.waiting.delete(live.key);
    return this.manager.mutate(live, (draft) => {
      if (isTerminal(draft.state) || draft.state !== 'PENDING') return false;
      draft.state = 'STOPPED';
      draft.taskResult = { status: 'FAILED', exitCode: -1 };
      draft.errorMessage = message;
      addEvent(draft, this.ctx.clock.now(), eventType, message, true);
    });
  }

  /** Ends waiting tasks whose placement deadline has passed (periodic tick). */
  expire(now: number): void {
    for (const live of [...this.waiting.values()]) {
      const record = live.record;
      if (record.placementDeadline === undefined || record.placementDeadline > now) continue;
      this.waiting.delete(live.key);
      const result = place(this.ctx, this.requestFor(record), record.instanceId);
      if (!('error' in result)) {
        this.commitPlacement(live, result.executorId, result.allocation);
        continue;
      }
      const waited = record.opSpec.timeout;
      const message = `No executor could take the task within ${formatDuration(waited)}: ${result.error}`;
      this.fail(live, message).catch((error: unknown) => {
        // Not recorded (the store is failing): it stays waiting and the next tick tries again.
        if (!isStoreOutage(error)) this.ctx.logger.warn({ err: error, task: live.key }, 'could not end a task that found no executor; retrying');
        this.waiting.set(live.key, live);
      });
    }
  }

  /** Placement deadline of a task made eligible now. */
  deadlineFrom(now: number, record: TaskRecord): number {
    return now + durationMillis(record.opSpec.timeout);
  }
}
