/**
 * The operation engine: every accepted application operation is a persisted record that the
 * engine runs to an end, one active operation per target (later ones wait QUEUED behind it).
 *
 *   QUEUED ──start──▶ RUNNING ──runner outcome──▶ COMPLETED | FAILED | TIMED_OUT
 *      │                 │
 *      └──cancel/abort───┴──▶ CANCELLING ──runner settled──▶ CANCELLED
 *
 * The record is written before any acknowledgement (submit, abort), so an acknowledged
 * operation or abort survives a controller restart: `resume()` loads every active record and
 * runs it again from its checkpoint (the runner decides what "again" means per step). On
 * `stop()` the engine halts its runs without ending them, for the next leader to resume.
 */
import type { EventBus } from '../context.ts';
import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/logger.ts';
import type { OperationRecord, OperationState } from '../../api/operation-types.ts';
import type { StatusMessage } from '../../api/task-types.ts';
import type { Store } from '../store/store.ts';
import { describeCancel, OperationHaltedError, type CancelReason } from './cancel-reason.ts';
import { assertTransition, buildResult, targetKey } from './operation-record.ts';
import { RunningOperation } from './running-operation.ts';
import { errorText } from './step-window.ts';

export interface OperationOutcome {
  state: 'COMPLETED' | 'FAILED' | 'TIMED_OUT' | 'CANCELLED';
  message: string;
  reason: string;
  messageList?: StatusMessage[];
}

/** Executes operations of one target kind. Must honour `op.control` and throw OperationHaltedError on halt. */
export interface OperationRunner {
  run(op: RunningOperation): Promise<OperationOutcome>;
}

export interface AbortAnswer {
  operationId: string;
  aborted: boolean;
  reason?: string;
}

export interface OperationEngineDeps {
  store: Store;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  runner: OperationRunner;
  /** Called after an operation reached a final state (reconciler, blacklist mover). */
  onFinished?(record: OperationRecord): void;
}

export class OperationEngine {
  private readonly active = new Map<string, RunningOperation>();
  private readonly queues = new Map<string, RunningOperation[]>();
  private readonly runs = new Set<Promise<void>>();
  private stopped = false;

  private readonly deps: OperationEngineDeps;

  constructor(
    deps: OperationEngineDeps,
  ) {
    this.deps = deps;
  }

  /** Persists a new QUEUED record, then schedules it. Resolves once the record is stored. */
  async submit(record: OperationRecord): Promise<RunningOperation> {
    await this.deps.store.insertOperation(structuredClone(record));
    this.emitState(record);
    return this.enqueue(record);
  }

  /** Loads every active app operation from the store and runs it again (controller start). */
  async resume(): Promise<number> {
    const records = await this.deps.store.listOperations({ states: ['QUEUED', 'RUNNING', 'CANCELLING'] });
    const mine = records.filter((r) => r.target.kind === 'app').sort((a, b) => a.created - b.created);
    for (const record of mine) {
      if (this.active.has(record.operationId)) continue;
      record.messages.push({ time: this.deps.clock.now(), message: `Resumed by controller after restart (was ${record.state})` });
      this.enqueue(record);
    }
    return mine.length;
  }

  get(operationId: string): RunningOperation | undefined {
    return this.active.get(operationId);
  }

  /** The operation currently running (or next to run) for a target. */
  current(target: OperationRecord['target']): RunningOperation | undefined {
    return this.queues.get(targetKey(target))?.[0];
  }

  /** Every active operation of a target, oldest first. */
  pending(target: OperationRecord['target']): readonly RunningOperation[] {
    return this.queues.get(targetKey(target)) ?? [];
  }

  list(): RunningOperation[] {
    return [...this.active.values()];
  }

  /**
   * Registers a cancel/abort. The record (CANCELLING + who/how/when) is persisted before this
   * resolves, so the abort survives a restart. A FORCE request escalates an earlier GRACEFUL one.
   */
  async cancel(operationId: string, reason: CancelReason): Promise<AbortAnswer> {
    const op = this.active.get(operationId);
    if (!op) return { operationId, aborted: false, reason: `Operation ${operationId} is not active` };
    const record = op.record;
    // It may have just finished (its final write in flight).
    if (record.state !== 'QUEUED' && record.state !== 'RUNNING' && record.state !== 'CANCELLING') {
      return { operationId, aborted: false, reason: `Operation ${operationId} has already finished (${record.state})` };
    }
    const now = this.deps.clock.now();
    const wantsForce = reason.kind === 'abort' && reason.mode === 'FORCE';
    if (record.state === 'CANCELLING') {
      if (wantsForce && !op.forced) {
        record.abortMode = 'FORCE';
        op.note(`Abort escalated to FORCE by ${reason.by}`);
        await op.persist();
        op.force(reason.by);
        return { operationId, aborted: true };
      }
      return { operationId, aborted: false, reason: `Operation ${operationId} is already being cancelled (${record.abortMode ?? 'GRACEFUL'} by ${record.abortedBy ?? 'unknown'})` };
    }
    assertTransition(record, 'CANCELLING');
    record.state = 'CANCELLING';
    record.abortedBy = reason.by;
    record.abortMode = wantsForce ? 'FORCE' : 'GRACEFUL';
    record.abortedAt = now;
    if (reason.kind === 'abort' && reason.mode === 'GRACEFUL' && reason.deadline !== undefined) record.abortDeadline = reason.deadline;
    op.cancelReason = reason;
    op.note(`Cancelling: ${describeCancel(reason)}`);
    await op.persist();
    this.emitState(record);
    this.applyCancel(op);
    return { operationId, aborted: true };
  }

  /** Halts every run without ending it (controller shutdown / lost leadership). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const op of this.active.values()) op.halt();
    await Promise.allSettled([...this.runs]);
  }

  private enqueue(record: OperationRecord): RunningOperation {
    const op = new RunningOperation(record, this.deps.store, this.deps.clock);
    if (record.state === 'CANCELLING') {
      op.cancelReason = { kind: 'abort', by: record.abortedBy ?? 'unknown', mode: record.abortMode ?? 'GRACEFUL', deadline: record.abortDeadline };
      this.applyCancel(op);
    }
    this.active.set(record.operationId, op);
    const key = targetKey(record.target);
    const queue = this.queues.get(key) ?? [];
    queue.push(op);
    this.queues.set(key, queue);
    if (queue.length === 1) this.launch(op);
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
        if (op.forced || op.halted) return;
        op.note(`Graceful abort deadline passed; forcing`);
        record.abortMode = 'FORCE';
        op.force(record.abortedBy ?? 'unknown');
        op.persist().catch((error: unknown) => this.deps.logger.error({ err: error, operationId: op.operationId }, 'persisting abort escalation failed'));
      });
    }
  }

  private launch(op: RunningOperation): void {
    if (this.stopped) return;
    const run = this.execute(op)
      .catch((error: unknown) => this.deps.logger.error({ err: error, operationId: op.operationId }, 'operation run failed unexpectedly'))
      .finally(() => {
        this.runs.delete(run);
        this.dequeue(op);
      });
    this.runs.add(run);
  }

  private dequeue(op: RunningOperation): void {
    op.clearDeadline();
    const key = targetKey(op.record.target);
    const queue = this.queues.get(key);
    if (!queue) return;
    const index = queue.indexOf(op);
    if (index >= 0) queue.splice(index, 1);
    if (op.halted) return; // keep the rest queued in memory only until stop() finishes; the next leader resumes them
    this.active.delete(op.operationId);
    if (queue.length === 0) this.queues.delete(key);
    else this.launch(queue[0]);
  }

  private async execute(op: RunningOperation): Promise<void> {
    const record = op.record;
    if (record.state === 'QUEUED') {
      assertTransition(record, 'RUNNING');
      record.state = 'RUNNING';
      op.note('Started');
      await op.persist();
      this.emitState(record);
    }
    let outcome: OperationOutcome;
    try {
      outcome = await this.deps.runner.run(op);
    } catch (error) {
      if (op.halted || error instanceof OperationHaltedError) return;
      this.deps.logger.error({ err: error, operationId: op.operationId }, 'operation runner threw');
      outcome = { state: 'FAILED', message: `Internal error: ${errorText(error)}`, reason: 'internal error' };
    }
    if (op.halted) return;
    await this.finish(op, outcome);
  }

  private async finish(op: RunningOperation, outcome: OperationOutcome): Promise<void> {
    const record = op.record;
    const final: OperationState = record.state === 'CANCELLING' ? 'CANCELLED' : outcome.state === 'CANCELLED' ? 'FAILED' : outcome.state;
    assertTransition(record, final);
    const now = this.deps.clock.now();
    record.state = final;
    record.finished = now;
    record.progress.inFlight = 0;
    record.result = buildResult(record, final, outcome.message, outcome.reason, outcome.messageList ?? op.resultMessages());
    op.note(`${final}: ${outcome.message}`, final === 'FAILED' || final === 'TIMED_OUT');
    await op.persist();
    this.emitState(record);
    try {
      this.deps.onFinished?.(record);
    } catch (error) {
      this.deps.logger.error({ err: error, operationId: op.operationId }, 'onFinished listener failed');
    }
  }

  private emitState(record: OperationRecord): void {
    const metadata: Record<string, string | number> = {
      OPERATION_ID: record.operationId,
      OPERATION_TYPE: record.type,
      CURRENT_STATE: record.state,
      CREATED_BY: record.createdBy,
      CREATED: record.created,
    };
    if (record.target.kind === 'app') metadata.APP_ID = record.target.appId;
    else {
      metadata.APP_NAME = record.target.sourceAppName;
      metadata.TASK_ID = record.target.taskId;
    }
    if (record.abortMode) metadata.ABORT_MODE = record.abortMode;
    this.deps.events.emit('OPERATION_STATE_CHANGE', metadata)
      .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'could not record OPERATION_STATE_CHANGE'));
  }
}
