/**
 * The live model of tasks on the leader: every active task record in memory, changed only
 * through `mutate`, which persists the new version through the store (group-committed) before
 * the in-memory view changes, then emits TASK_STATE_CHANGE for every state passed through and
 * runs the post-commit effects (messages to executors, ledger release, parent aggregation).
 *
 *   CREATE ─▶ PENDING ─(placed, startTask)─▶ PROVISIONING ─▶ STARTING ─▶ RUNNING ─▶ RUN_COMPLETED
 *               │                                 │              │                       │
 *               │                     PROVISIONING_FAILED    RUN_FAILED                  ▼
 *               │                                 └──────────────┴──────────▶ DEPROVISIONING ─▶ STOPPED
 *               ├─(no executor within opSpec.timeout: FAILED -1)──────────────────────────────▶ STOPPED
 *               └─(KILL / abort before placement: CANCELLED -1)──────────────────────────────▶ STOPPED
 *   any non-terminal ─(executor lost, or it no longer knows the task: LOST -1)─▶ LOST
 *
 * Mutations of one task are serialised: they queue while a commit is in flight (and until the
 * current synchronous work is done), and the next drain applies all queued ones to one draft
 * and writes it once — a TASK_STATE_CHANGE is still emitted for every state passed through.
 */
import { ACTIVE_TASK_STATES, type TaskRecord, type WorkloadEvent } from '../../api/task-types.ts';
import type { ControllerContext } from '../context.ts';
import { allocationFromWire } from '../scheduler/resource-ledger.ts';
import { GroupCommit } from '../store/group-commit.ts';
import { isStoreOutage } from '../store/store-health.ts';
import { isTerminal, taskEventMetadata, taskKey } from './task-view.ts';

/** Post-commit work collected by mutations. */
export interface CommitEffects {
  /** Run after the new version is committed and visible, in order. */
  after: (() => void)[];
  /** The terminal state came from the executor's own report (so it can be told to forget it). */
  reportedTerminal: boolean;
}

/** Changes the draft in place; return `false` when nothing changed (no write). */
export type Mutation = (draft: TaskRecord, fx: CommitEffects) => boolean | void;

export interface LiveTask {
  readonly key: string;
  record: TaskRecord;
  /** `updated` of the latest executor report applied (reports older than this are ignored). */
  reportUpdated: number;
  /** Registry connection number of the executor when startTask was last sent by this process. */
  startSentOn?: number;
  /** When this process last sent `startTask` (clock ms): the unacknowledged-start deadline counts from here. */
  startSentAt?: number;
  /** Same for the last stopTask. */
  stopSentOn?: number;
  /** The executor has reported the task at least once since this controller started. */
  reported: boolean;
  queue: { fn: Mutation; resolve: () => void; reject: (error: unknown) => void }[];
  draining: boolean;
}

export type CommitListener = (live: LiveTask, before: TaskRecord, after: TaskRecord, fx: CommitEffects) => void;

/** Bounded list of controller-side and executor events on a record. */
export const MAX_TASK_EVENTS = 100;

export class TaskManager {
  readonly ctx: ControllerContext;
  /** Task record writes, group-committed: a burst of state reports costs one `updateTasks` transaction. */
  readonly writer: GroupCommit<TaskRecord>;
  private readonly tasks = new Map<string, LiveTask>();
  /**
   * Tracked tasks in one of ACTIVE_TASK_STATES (the cluster summary's count). Not every tracked
   * task: PROVISIONING_FAILED, RUN_FAILED and UNKNOWN are neither active nor terminal.
   */
  private readonly activeKeys = new Set<string>();
  private readonly byInstance = new Map<string, LiveTask>();
  /** Placed active tasks per executor (snapshots, lost executors). */
  private readonly byExecutor = new Map<string, Set<LiveTask>>();
  /** Placed active tasks per sourceAppName per executor (per-host placement limits). */
  private readonly groupCounts = new Map<string, Map<string, number>>();
  /** instanceId → executorId of recently ended tasks, so late reports are answered without a store read. */
  private readonly recentlyEnded = new Map<string, string | undefined>();
  private readonly connectionSeq = new Map<string, number>();
  private readonly forgetQueue = new Map<string, string[]>();
  private forgetScheduled = false;
  private readonly endWaiters = new Map<string, ((record: TaskRecord) => void)[]>();
  private readonly commitListeners: CommitListener[] = [];
  private readonly terminalListeners: CommitListener[] = [];

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
    this.writer = new GroupCommit((records) => ctx.store.updateTasks(records));
  }

  /** Called after every commit that changed the record. */
  onCommit(listener: CommitListener): void {
    this.commitListeners.push(listener);
  }

  /** Called once when a task becomes terminal (after its commit). */
  onTerminal(listener: CommitListener): void {
    this.terminalListeners.push(listener);
  }

  get(sourceAppName: string, taskId: string): LiveTask | undefined {
    return this.tasks.get(taskKey(sourceAppName, taskId));
  }

  byInstanceId(instanceId: string): LiveTask | undefined {
    return this.byInstance.get(instanceId);
  }

  /** Placed active tasks on an executor. */
  onExecutor(executorId: string): ReadonlySet<LiveTask> {
    return this.byExecutor.get(executorId) ?? new Set();
  }

  /** Executors that hold placed active tasks. */
  executorIds(): string[] {
    return [...this.byExecutor.keys()];
  }

  /** Active placed tasks of a sourceAppName per executor. */
  countsFor(sourceAppName: string): ReadonlyMap<string, number> {
    return this.groupCounts.get(sourceAppName) ?? new Map();
  }

  /** Active tasks (insertion order). */
  active(): IterableIterator<LiveTask> {
    return this.tasks.values();
  }

  get size(): number {
    return this.tasks.size;
  }

  /** How many tracked tasks are in an active state. */
  get activeCount(): number {
    return this.activeKeys.size;
  }

  /** Resolves with the task's terminal record once it has ended (at once if it has). */
  whenEnded(live: LiveTask): Promise<TaskRecord> {
    if (isTerminal(live.record.state)) return Promise.resolve(live.record);
    return new Promise((resolve) => {
      const waiters = this.endWaiters.get(live.key) ?? [];
      waiters.push(resolve);
      this.endWaiters.set(live.key, waiters);
    });
  }

  /** Whether an ended task with this instanceId was seen recently; gives its executorId. */
  recentlyEndedOn(instanceId: string): { executorId: string | undefined } | undefined {
    return this.recentlyEnded.has(instanceId) ? { executorId: this.recentlyEnded.get(instanceId) } : undefined;
  }

  /** Registry connection counter of an executor (bumped on every `connected`). */
  connectionOf(executorId: string): number {
    return this.connectionSeq.get(executorId) ?? 0;
  }

  noteConnected(executorId: string): void {
    this.connectionSeq.set(executorId, this.connectionOf(executorId) + 1);
  }

  /** Starts tracking a record that is already in the store (new, or loaded at start). */
  track(record: TaskRecord): LiveTask {
    const live: LiveTask = {
      key: taskKey(record.sourceAppName, record.taskId),
      record,
      reportUpdated: 0,
      reported: false,
      queue: [],
      draining: false,
    };
    this.tasks.set(live.key, live);
    this.byInstance.set(record.instanceId, live);
    this.countActive(live);
    this.index(live, undefined, record.executorId);
    if (record.executorId && record.resources && !this.ctx.ledger.isAllocated(record.instanceId)) {
      const allocation = allocationFromWire(record.resources);
      if (allocation) this.ctx.ledger.claim(record.instanceId, record.executorId, allocation);
    }
    return live;
  }

  /** Stops tracking without any effect (a record whose insert failed). */
  untrack(live: LiveTask): void {
    this.index(live, live.record.executorId, undefined);
    this.tasks.delete(live.key);
    this.activeKeys.delete(live.key);
    this.byInstance.delete(live.record.instanceId);
    this.ctx.ledger.release(live.record.instanceId);
  }

  /** Queues a change; resolves once it is committed (or rejects if the store write failed). */
  mutate(live: LiveTask, fn: Mutation): Promise<void> {
    return new Promise((resolve, reject) => {
      live.queue.push({ fn, resolve, reject });
      if (live.draining) return;
      live.draining = true;
      // Started once the current synchronous work is done, so every report of one executor
      // frame (a burst of states) joins the same draft and costs one write.
      queueMicrotask(() => {
        this.drain(live).catch((error: unknown) => this.ctx.logger.error({ err: error, task: live.key }, 'applying task changes failed'));
      });
    });
  }

  /** Emits a TASK_STATE_CHANGE for this version of the record (never throws). */
  emitStateChange(record: TaskRecord): void {
    this.ctx.events.emit('TASK_STATE_CHANGE', taskEventMetadata(record)).catch((error: unknown) => {
      this.ctx.logger.warn({ err: error, task: taskKey(record.sourceAppName, record.taskId) }, 'could not record a task state event');
    });
  }

  /** Queues a `forget` for an executor; sent in one message per executor per turn. */
  forget(executorId: string, instanceId: string): void {
    const list = this.forgetQueue.get(executorId) ?? [];
    list.push(instanceId);
    this.forgetQueue.set(executorId, list);
    if (this.forgetScheduled) return;
    this.forgetScheduled = true;
    setImmediate(() => {
      this.forgetScheduled = false;
      for (const [id, instanceIds] of this.forgetQueue) this.ctx.executors.send(id, { type: 'forget', instanceIds });
      this.forgetQueue.clear();
    });
  }

  /** Resolves when every queued mutation and write has settled (shutdown, tests). */
  async settle(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const busy = [...this.tasks.values()].some((t) => t.draining);
      await this.writer.drain();
      if (!busy) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async drain(live: LiveTask): Promise<void> {
    live.draining = true;
    try {
      while (live.queue.length > 0) {
        const batch = live.queue.splice(0);
        const before = live.record;
        const draft: TaskRecord = { ...before };
        const fx: CommitEffects = { after: [], reportedTerminal: false };
        const passed: TaskRecord[] = [];
        let changed = false;
        for (const item of batch) {
          if (isTerminal(draft.state) && isTerminal(before.state)) break;
          const stateBefore = draft.state;
          try {
            if (item.fn(draft, fx) !== false) changed = true;
          } catch (error) {
            this.ctx.logger.error({ err: error, task: live.key }, 'task mutation failed');
          }
          if (draft.state !== stateBefore) passed.push({ ...draft });
        }
        if (changed) {
          draft.updated = Math.max(this.ctx.clock.now(), before.updated);
          if (draft.events.length > MAX_TASK_EVENTS) draft.events = draft.events.slice(-MAX_TASK_EVENTS);
          try {
            await this.writer.write(draft);
          } catch (error) {
            // A store outage is logged once by the store's health tracker; the executor's next snapshot re-applies its reports.
            if (!isStoreOutage(error)) this.ctx.logger.error({ err: error, task: live.key }, 'could not persist a task change; it is dropped');
            for (const item of batch) item.reject(error);
            continue;
          }
          live.record = draft;
          this.countActive(live);
          if (before.executorId !== draft.executorId && !isTerminal(draft.state)) this.index(live, before.executorId, draft.executorId);
          for (const version of passed) this.emitStateChange({ ...version, updated: draft.updated });
          for (const listener of this.commitListeners) this.safely(() => listener(live, before, draft, fx));
          if (!isTerminal(before.state) && isTerminal(draft.state)) this.ended(live, before, draft, fx);
          for (const effect of fx.after) this.safely(effect);
        }
        for (const item of batch) item.resolve();
      }
    } finally {
      live.draining = false;
    }
  }

  private ended(live: LiveTask, before: TaskRecord, after: TaskRecord, fx: CommitEffects): void {
    this.index(live, before.executorId, undefined);
    if (after.executorId !== before.executorId) this.index(live, after.executorId, undefined);
    this.tasks.delete(live.key);
    this.byInstance.delete(after.instanceId);
    this.ctx.ledger.release(after.instanceId);
    this.recentlyEnded.set(after.instanceId, after.executorId);
    if (this.recentlyEnded.size > 10_000) {
      const oldest = this.recentlyEnded.keys().next().value;
      if (oldest !== undefined) this.recentlyEnded.delete(oldest);
    }
    if (fx.reportedTerminal && after.executorId) this.forget(after.executorId, after.instanceId);
    for (const listener of this.terminalListeners) this.safely(() => listener(live, before, after, fx));
    const waiters = this.endWaiters.get(live.key);
    this.endWaiters.delete(live.key);
    for (const wake of waiters ?? []) wake(after);
  }

  private countActive(live: LiveTask): void {
    if (ACTIVE_TASK_STATES.has(live.record.state)) this.activeKeys.add(live.key);
    else this.activeKeys.delete(live.key);
  }

  private index(live: LiveTask, from: string | undefined, to: string | undefined): void {
    const group = live.record.sourceAppName;
    if (from !== undefined) {
      const set = this.byExecutor.get(from);
      if (set?.delete(live)) {
        if (set.size === 0) this.byExecutor.delete(from);
        const counts = this.groupCounts.get(group);
        const n = (counts?.get(from) ?? 1) - 1;
        if (n > 0) counts?.set(from, n);
        else counts?.delete(from);
        if (counts?.size === 0) this.groupCounts.delete(group);
      }
    }
    if (to !== undefined) {
      let set = this.byExecutor.get(to);
      if (!set) this.byExecutor.set(to, (set = new Set()));
      if (set.has(live)) return;
      set.add(live);
      let counts = this.groupCounts.get(group);
      if (!counts) this.groupCounts.set(group, (counts = new Map()));
      counts.set(to, (counts.get(to) ?? 0) + 1);
    }
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.ctx.logger.error({ err: error }, 'task listener failed');
    }
  }
}

/** Appends a controller-side event to a draft (a new array, never in place). */
export function addEvent(draft: TaskRecord, time: number, type: string, message: string, error?: boolean): void {
  const event: WorkloadEvent = error ? { time, type, message, error } : { time, type, message };
  draft.events = [...draft.events, event];
}
