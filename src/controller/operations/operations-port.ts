/**
 * What domain modules see of the operations module (`ctx.operations`): they register their
 * operation kind at wiring time, build and submit records, and read or cancel the active ones.
 * Everything else — persistence, transitions, events, queueing, abort, resume — stays inside.
 */
import type { OperationRecord, OperationTarget } from '../../api/operation-types.ts';
import type { ClusterOpSpec } from '../../api/spec-types.ts';
import type { CancelReason } from './cancel-reason.ts';
import type { AbortAnswer, FinishedListener } from './operation-engine.ts';
import type { OperationKind } from './operation-kind.ts';
import type { RunningOperation } from './running-operation.ts';

/** What a new operation is: the journal fills in its id, time and first history line. */
export interface OperationRequest {
  /** Given when the caller needed the id before the record (a superseding SCALE names itself); default: a new one. */
  operationId?: string;
  type: string;
  target: OperationTarget;
  opSpec: ClusterOpSpec;
  createdBy: string;
  /** The accepted request (type-specific fields), kept so the operation can be resumed. */
  request: Record<string, unknown>;
}

export interface Operations {
  /** Plugs a kind in; call it from the module's factory (before the controller starts). */
  registerKind(kind: OperationKind): void;
  /** Called after any operation reached a final state. */
  onFinished(listener: FinishedListener): void;
  /** A new QUEUED record, not yet stored. */
  newRecord(request: OperationRequest): OperationRecord;
  /** Stores the record, then runs it; resolves once it is stored (acknowledge after this). */
  submit(record: OperationRecord): Promise<RunningOperation>;
  /** Cancels or aborts an active operation; resolves once that is stored and the kind's aborter ran. */
  cancel(operationId: string, reason: CancelReason): Promise<AbortAnswer>;
  get(operationId: string): RunningOperation | undefined;
  /** The operation running (or next to run) for a target. */
  current(target: OperationTarget): RunningOperation | undefined;
  /** Every active operation of a target, oldest first. */
  pending(target: OperationTarget): readonly RunningOperation[];
  list(): RunningOperation[];
}
