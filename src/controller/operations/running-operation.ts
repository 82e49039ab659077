/**
 * The live handle of one active operation, whatever its kind: its record (persisted through the
 * operation journal), the graceful-stop flag, the force signal, the halt signal (controller
 * shutdown), and the per-target result lines. Kinds get this handle; the engine owns its state
 * changes.
 */
import type { OperationRecord } from '../../api/operation-types.ts';
import type { StatusMessage } from '../../api/task-types.ts';
import type { Clock } from '../../common/clock.ts';
import { setLongTimeout, type LongTimer } from '../../common/long-timer.ts';
import { ForceAbortError, OperationHaltedError, type CancelReason } from './cancel-reason.ts';
import type { OperationJournal } from './operation-journal.ts';
import { appendMessage } from './operation-record.ts';
import type { StepControl } from './step-window.ts';

/** How long progress may stay unwritten on the hot path (see `persistSoon`). */
export const PROGRESS_WRITE_MS = 250;

export class RunningOperation {
  readonly record: OperationRecord;
  cancelReason?: CancelReason;
  private readonly forceController = new AbortController();
  private readonly haltController = new AbortController();
  private stopWanted = false;
  private readonly stopWaiters: (() => void)[] = [];
  private soonTimer?: NodeJS.Timeout;
  private readonly results = new Map<string, StatusMessage>();
  private deadlineTimer?: LongTimer;

  /** Aborted on FORCE, or when the controller halts: what long-running step functions take. */
  readonly signal: AbortSignal;
  readonly control: StepControl;

  private readonly journal: OperationJournal;
  private readonly clock: Clock;

  constructor(record: OperationRecord, journal: OperationJournal, clock: Clock) {
    this.journal = journal;
    this.clock = clock;
    this.record = record;
    this.signal = AbortSignal.any([this.forceController.signal, this.haltController.signal]);
    this.control = {
      stopping: () => this.stopWanted,
      whenStopping: () => this.whenStopping(),
      force: this.signal,
    };
  }

  get operationId(): string {
    return this.record.operationId;
  }

  get stopping(): boolean {
    return this.stopWanted;
  }

  get forced(): boolean {
    return this.forceController.signal.aborted;
  }

  get halted(): boolean {
    return this.haltController.signal.aborted;
  }

  /** Aborted only when the controller halts (for clean-up waits that must outlive a force). */
  get haltSignal(): AbortSignal {
    return this.haltController.signal;
  }

  /** Throws OperationHaltedError when the controller is shutting down (use between phases). */
  throwIfHalted(): void {
    if (this.halted) throw new OperationHaltedError();
  }

  whenStopping(): Promise<void> {
    if (this.stopWanted) return Promise.resolve();
    return new Promise((resolve) => this.stopWaiters.push(resolve));
  }

  /** Graceful: start nothing new. */
  requestStop(): void {
    if (this.stopWanted) return;
    this.stopWanted = true;
    for (const wake of this.stopWaiters.splice(0)) wake();
  }

  /** Force: interrupt steps in flight now. */
  force(by: string): void {
    this.requestStop();
    this.clearDeadline();
    if (!this.forceController.signal.aborted) this.forceController.abort(new ForceAbortError(by));
  }

  halt(): void {
    this.clearDeadline();
    if (!this.haltController.signal.aborted) this.haltController.abort(new OperationHaltedError());
    // Wake the step window so it drains; the halted steps settle without side effects.
    this.requestStop();
  }

  armDeadline(at: number, onFire: () => void): void {
    this.clearDeadline();
    this.deadlineTimer = setLongTimeout(onFire, at - this.clock.now());
  }

  clearDeadline(): void {
    this.deadlineTimer?.cancel();
    this.deadlineTimer = undefined;
  }

  note(message: string, error = false): void {
    appendMessage(this.record, this.clock.now(), message, error);
  }

  /** One result line per instance (the latest wins), for Drydock's result document (docs/sources.md#drydock). */
  instanceResult(instanceId: string, message: string, error = false): void {
    this.results.set(instanceId, { message, error, contextType: 'instance', context: instanceId, ts: this.clock.now() });
  }

  resultMessages(): StatusMessage[] {
    return [...this.results.values()];
  }

  /**
   * Persists the record as it is now; resolves once that version (or a later one) is committed.
   * Writes are coalesced by the journal: while one is in flight, later calls share the next.
   */
  persist(): Promise<void> {
    this.cancelSoon();
    this.record.updated = this.clock.now();
    return this.journal.save(this.record);
  }

  /**
   * Persists progress within `PROGRESS_WRITE_MS` (the hot path of a large operation: one write
   * per step would cost more than the steps). Safe because a resumed operation re-derives its
   * steps' fate from what they act on (instances carry the operationId); reads of an active
   * operation are served from memory.
   */
  persistSoon(): void {
    if (this.soonTimer) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      this.persist().catch(() => undefined);
    }, PROGRESS_WRITE_MS);
    this.soonTimer.unref?.();
  }

  private cancelSoon(): void {
    if (this.soonTimer) clearTimeout(this.soonTimer);
    this.soonTimer = undefined;
  }
}
