/**
 * The operation engine: every accepted operation, of every kind, is a persisted record that the
 * engine runs to an end through its kind (operation-kind.ts). Kinds whose operations must not
 * overlap on one target (applications) run them one at a time, later ones waiting QUEUED;
 * other kinds (tasks) start each at once.
 *
 *   QUEUED ──start──▶ RUNNING ──kind's outcome──▶ COMPLETED | FAILED | TIMED_OUT | CANCELLED
 *      │                 │
 *      └──cancel/abort───┴──▶ CANCELLING ──kind settled──▶ CANCELLED
 *
 * The record is written before any acknowledgement (submit, abort), so an acknowledged
 * operation or abort survives a controller restart: `resume()` loads every active record of the
 * registered kinds and runs it again from its checkpoint (the kind decides what "again" means).
 * On `stop()` the engine halts its runs without ending them, for the next leader to resume.
 * When the store becomes unavailable the engine *pauses*: it halts every run the same way and,
 * once the store takes writes again, runs each one again from its in-memory record.
 */
import type { OperationRecord, OperationState, OperationTarget, OperationTargetKind } from '../../api/operation-types.ts';
import { ACTIVE_OPERATION_STATES, isActiveOperationState } from '../../api/operation-types.ts';
import type { Clock } from '../../common/clock.ts';
import { errorMessage } from '../../common/error-message.ts';
import type { Logger } from '../../common/logger.ts';
import type { Store } from '../store/store.ts';
import { isStoreOutage, type StoreHealthPort } from '../store/store-health.ts';
import { describeCancel, OperationHaltedError, type CancelReason } from './cancel-reason.ts';
import type { OperationJournal } from './operation-journal.ts';
import type { OperationKind, OperationOutcome } from './operation-kind.ts';
import type { OperationRequest, Operations } from './operations-port.ts';
import { assertTransition, buildResult, targetKey } from './operation-record.ts';
import { RunningOperation } from './running-operation.ts';

export interface AbortAnswer {
  operationId: string;
  aborted: boolean;
  reason?: string;
}

export interface OperationEngineDeps {
  store: Store;
  journal: OperationJournal;
  clock: Clock;
  logger: Logger;
  /** When given, runs pause while the store is unavailable and resume after. */
  health?: StoreHealthPort;
}

export type FinishedListener = (record: OperationRecord) => void;

export class OperationEngine implements Operations {
  private readonly kinds = new Map<OperationTargetKind, OperationKind>();
  private readonly active = new Map<string, RunningOperation>();
  /** Active operations per target, oldest first (for one-at-a-time kinds the first is the one running). */
  private readonly queues = new Map<string, RunningOperation[]>();
  private readonly launched = new WeakSet<RunningOperation>();
  private readonly runs = new Set<Promise<void>>();
  /** Runs halted because the store became unavailable: run again once it is back. */
  private readonly pausing = new WeakSet<RunningOperation>();
  private readonly finishedListeners: FinishedListener[] = [];
  private stopped = false;

  private readonly deps: OperationEngineDeps;

  constructor(deps: OperationEngineDeps) {
    this.deps = deps;
    deps.health?.onChange((available) => {
      if (!available) this.pause();
    });
  }

  /** Plugs a kind in (at wiring time, before `resume`). */
  registerKind(kind: OperationKind): void {
    if (this.kinds.has(kind.targetKind)) throw new Error(`An operation kind for ${kind.targetKind} targets is already registered`);
    this.kinds.set(kind.targetKind, kind);
  }

  hasKind(targetKind: OperationTargetKind): boolean {
    return this.kinds.has(targetKind);
  }

  /** Every operation type of the registered kinds. */
  types(): string[] {
    return [...new Set([...this.kinds.values()].flatMap((kind) => kind.types))];
  }

  /** Called after an operation reached a final state (reconcilers, blacklist mover). */
  onFinished(listener: FinishedListener): void {
    this.finishedListeners.push(listener);
  }

  newRecord(request: OperationRequest): OperationRecord {
    return this.deps.journal.build(request);
  }

  /**
   * Persists a new record, then schedules it; resolves once the record is stored. A record of a
   * kind that does not queue per target is written RUNNING straight away (one write, not two).
   */
  async submit(record: OperationRecord): Promise<RunningOperation> {
    const kind = this.kindFor(record);
    if (!kind.oneAtATimePerTarget && record.state === 'QUEUED') this.markRunning(record);
    await this.deps.journal.save(record);
    this.deps.journal.announce(record);
    return this.enqueue(record, kind);
  }

  /** Loads every active operation of the registered kinds and runs it again (controller start). */
  async resume(): Promise<number> {
    const records = await this.deps.store.listOperations({ states: [...ACTIVE_OPERATION_STATES] });
    const mine = records.filter((r) => this.kinds.has(r.target.kind)).sort((a, b) => a.created - b.created);
    for (const record of mine) {
      if (this.active.has(record.operationId)) continue;
      record.messages.push({ time: this.deps.clock.now(), message: `Resumed by controller after restart (was ${record.state})` });
      this.enqueue(record, this.kindFor(record));
    }
    return mine.length;
  }

  get(operationId: string): RunningOperation | undefined {
    return this.active.get(operationId);
  }

  /** The operation currently running (or next to run) for a target. */
  current(target: OperationTarget): RunningOperation | undefined {
    return this.queues.get(targetKey(target))?.[0];
  }

  /** Every active operation of a target, oldest first. */
  pending(target: OperationTarget): readonly RunningOperation[] {
    return this.queues.get(targetKey(target)) ?? [];
  }

  list(): RunningOperation[] {
    return [...this.active.values()];
  }

  /**
   * Registers a cancel/abort, then hands it to the kind's aborter. The record (CANCELLING +
   * who/how/when) is persisted before this resolves, so the abort survives a restart. A FORCE
   * request escalates an earlier GRACEFUL one.
   */
  async cancel(operationId: string, reason: CancelReason): Promise<AbortAnswer> {
    const op = this.active.get(operationId);
    if (!op) return { operationId, aborted: false, reason: `Operation ${operationId} is not active` };
    const record = op.record;
    // It may have just finished (its final write in flight).
    if (!isActiveOperationState(record.state)) {
      return { operationId, aborted: false, reason: `Operation ${operationId} has already finished (${record.state})` };
    }
    const wantsForce = reason.kind === 'abort' && reason.mode === 'FORCE';
    if (record.state === 'CANCELLING') {
      if (!wantsForce || op.forced) {
        return { operationId, aborted: false, reason: `Operation ${operationId} is already being cancelled (${record.abortMode ?? 'GRACEFUL'} by ${record.abortedBy ?? 'unknown'})` };
      }
      record.abortMode = 'FORCE';
      op.note(`Abort escalated to FORCE by ${reason.by}`);
      try {
        await op.persist();
      } catch (error) {
        record.abortMode = 'GRACEFUL';
        throw error;
      }
      op.force(reason.by);
      await this.abortWork(op, reason);
      return { operationId, aborted: true };
    }
    assertTransition(record, 'CANCELLING');
    const before = { state: record.state, messages: record.messages };
    record.state = 'CANCELLING';
    record.abortedBy = reason.by;
    record.abortMode = wantsForce ? 'FORCE' : 'GRACEFUL';
    record.abortedAt = this.deps.clock.now();
    if (reason.kind === 'abort' && reason.mode === 'GRACEFUL' && reason.deadline !== undefined) record.abortDeadline = reason.deadline;
    record.messages = [...record.messages];
    op.note(`Cancelling: ${describeCancel(reason)}`);
    try {
      await op.persist();
    } catch (error) {
      // Not stored, so not acknowledged: the record goes back to what it was.
      Object.assign(record, before, { abortedBy: undefined, abortMode: undefined, abortedAt: undefined, abortDeadline: undefined });
      throw error;
    }
    op.cancelReason = reason;
    this.deps.journal.announce(record);
    this.applyCancel(op);
    await this.abortWork(op, reason);
    return { operationId, aborted: true };
  }

  /** Halts every run without ending it (controller shutdown / lost leadership). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const op of this.active.values()) op.halt();
    await Promise.allSettled([...this.runs]);
    await this.deps.journal.settle();
  }

  private kindFor(record: OperationRecord): OperationKind {
    const kind = this.kinds.get(record.target.kind);
    if (!kind) throw new Error(`No operation kind registered for ${record.target.kind} targets`);
    return kind;
  }

  private markRunning(record: OperationRecord): void {
    assertTransition(record, 'RUNNING');
    record.state = 'RUNNING';
    record.messages.push({ time: this.deps.clock.now(), message: 'Started' });
  }

  private enqueue(record: OperationRecord, kind: OperationKind): RunningOperation {
    const op = new RunningOperation(record, this.deps.journal, this.deps.clock);
    this.active.set(record.operationId, op);
    const key = targetKey(record.target);
    const queue = this.queues.get(key) ?? [];
    queue.push(op);
    this.queues.set(key, queue);
    if (record.state === 'CANCELLING') {
      // A persisted abort takes effect again after a restart (a deadline already past forces at once).
      op.cancelReason = { kind: 'abort', by: record.abortedBy ?? 'unknown', mode: record.abortMode ?? 'GRACEFUL', deadline: record.abortDeadline };
      this.applyCancel(op);
    }
    if (!kind.oneAtATimePerTarget || queue.length === 1) this.launch(op, kind);
    return op;
  }

  /** Turns the persisted cancel fields into live signals (also on resume). */
  private applyCancel(op: RunningOperation): void {
    const record = op.record;
    op.requestStop();
    if (record.abortMode === 'FORCE') {
      op.force(record.abortedBy ?? 'unknown');
    } else if (record.abortDeadline !== undefined) {
      op.armDeadline(record.abortDeadline, () => {
        this.escalateAtDeadline(op).catch((error: unknown) => this.deps.logger.error({ err: error, operationId: op.operationId }, 'abort deadline escalation failed'));
      });
    }
  }

  private async escalateAtDeadline(op: RunningOperation): Promise<void> {
    if (op.forced || op.halted) return;
    const by = op.record.abortedBy ?? 'unknown';
    op.note('Graceful abort deadline passed; forcing');
    op.record.abortMode = 'FORCE';
    op.force(by);
    try {
      await op.persist();
      await this.abortWork(op, { kind: 'abort', by, mode: 'FORCE' });
    } catch (error) {
      this.deps.logger.error({ err: error, operationId: op.operationId }, 'forcing an operation at its abort deadline failed');
    }
  }

  /** The kind's aborter, when it has one and the run has not ended already. */
  private async abortWork(op: RunningOperation, reason: CancelReason): Promise<void> {
    const kind = this.kinds.get(op.record.target.kind);
    if (!kind?.abort || op.halted) return;
    await kind.abort(op, reason);
  }

  private launch(op: RunningOperation, kind: OperationKind): void {
    if (this.stopped || this.launched.has(op)) return;
    this.launched.add(op);
    const run = this.execute(op, kind)
      .catch((error: unknown) => this.deps.logger.error({ err: error, operationId: op.operationId }, 'operation run failed unexpectedly'))
      .finally(() => {
        this.runs.delete(run);
        if (this.pausing.has(op) && isActiveOperationState(op.record.state) && !this.stopped) this.resumeAfterOutage(op, kind);
        else this.dequeue(op, kind);
      });
    this.runs.add(run);
  }

  /** The store became unavailable: every launched run is halted (it keeps its checkpoint in memory). */
  private pause(): void {
    for (const op of this.active.values()) {
      if (!this.launched.has(op) || op.halted) continue;
      this.pausing.add(op);
      op.note('Paused: the store is unavailable');
      op.halt();
    }
  }

  /** Runs a paused operation again, from its in-memory record, once the store takes writes. */
  private resumeAfterOutage(paused: RunningOperation, kind: OperationKind): void {
    const resume = async () => {
      await this.deps.health?.whenAvailable();
      if (this.stopped || this.active.get(paused.operationId) !== paused) return;
      const op = new RunningOperation(paused.record, this.deps.journal, this.deps.clock);
      this.active.set(op.operationId, op);
      const key = targetKey(op.record.target);
      this.queues.set(key, (this.queues.get(key) ?? []).map((queued) => (queued === paused ? op : queued)));
      op.note('Resumed: the store is available again');
      if (op.record.state === 'CANCELLING') {
        op.cancelReason = paused.cancelReason ?? { kind: 'abort', by: op.record.abortedBy ?? 'unknown', mode: op.record.abortMode ?? 'GRACEFUL', deadline: op.record.abortDeadline };
        this.applyCancel(op);
      }
      this.launch(op, kind);
    };
    resume().catch((error: unknown) => this.deps.logger.error({ err: error, operationId: paused.operationId }, 'resuming an operation after a store outage failed'));
  }

  private dequeue(op: RunningOperation, kind: OperationKind): void {
    op.clearDeadline();
    // Halted while active: it stays active in the store; the next leader resumes it and those queued behind it.
    if (op.halted && isActiveOperationState(op.record.state)) return;
    const key = targetKey(op.record.target);
    this.active.delete(op.operationId);
    const queue = (this.queues.get(key) ?? []).filter((queued) => queued !== op);
    if (queue.length === 0) this.queues.delete(key);
    else {
      this.queues.set(key, queue);
      if (kind.oneAtATimePerTarget) this.launch(queue[0], kind);
    }
  }

  private async execute(op: RunningOperation, kind: OperationKind): Promise<void> {
    const record = op.record;
    if (record.state === 'QUEUED') {
      this.markRunning(record);
      await op.persist();
      this.deps.journal.announce(record);
    }
    let outcome: OperationOutcome;
    try {
      outcome = await kind.run(op);
    } catch (error) {
      if (op.halted || error instanceof OperationHaltedError) return;
      this.deps.logger.error({ err: error, operationId: op.operationId }, 'operation runner threw');
      outcome = { state: 'FAILED', message: `Internal error: ${errorMessage(error)}`, reason: 'internal error' };
    }
    if (op.halted) return;
    await this.finish(op, outcome);
  }

  private async finish(op: RunningOperation, outcome: OperationOutcome): Promise<void> {
    const record = op.record;
    const final: OperationState = record.state === 'CANCELLING' ? 'CANCELLED' : outcome.state;
    assertTransition(record, final);
    record.state = final;
    record.finished = this.deps.clock.now();
    if (outcome.progress) record.progress = { ...outcome.progress, inFlight: 0 };
    else record.progress.inFlight = 0;
    record.result = outcome.result ?? buildResult(record, final, outcome.message, outcome.reason, outcome.messageList ?? op.resultMessages());
    op.note(`${final}: ${outcome.message}`, final === 'FAILED' || final === 'TIMED_OUT');
    // The end is decided; it must reach the store before anyone is told, however long that takes.
    for (;;) {
      try {
        await op.persist();
        break;
      } catch (error) {
        if (!isStoreOutage(error) || !this.deps.health || this.stopped) throw error;
        await this.deps.health.whenAvailable();
      }
    }
    this.deps.journal.announce(record);
    for (const listener of this.finishedListeners) {
      try {
        listener(record);
      } catch (error) {
        this.deps.logger.error({ err: error, operationId: op.operationId }, 'an operation-finished listener failed');
      }
    }
  }
}
