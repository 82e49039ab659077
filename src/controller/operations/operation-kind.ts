/**
 * The port through which a kind of job plugs into the operation engine (docs/architecture.md,
 * "Adding an operation kind"). Application operations and task operations are two kinds; a
 * kind supplies what is particular to it — how to run one operation of it and what stopping it
 * means — and the engine supplies everything else: the persisted record and its transitions,
 * OPERATION_STATE_CHANGE events, queueing per target, cancel and abort (graceful, forced,
 * with a deadline), halting on shutdown and resuming after a restart.
 */
import type { OperationTargetKind } from '../../api/operation-types.ts';
import type { StatusMessage, DrydockStatus } from '../../api/task-types.ts';
import type { CancelReason } from './cancel-reason.ts';
import type { RunningOperation } from './running-operation.ts';

/** How a run ended, as the kind sees it; the engine turns it into the final record. */
export interface OperationOutcome {
  state: 'COMPLETED' | 'FAILED' | 'TIMED_OUT' | 'CANCELLED';
  message: string;
  reason: string;
  /** One line per thing touched (instance, task, node); default: the operation's instance results. */
  messageList?: StatusMessage[];
  /** A complete result document the kind built itself (a fan-out's aggregate); wins over the above. */
  result?: DrydockStatus;
  /** Final progress, when the kind counts it itself. */
  progress?: { total: number; done: number; failed: number };
}

export interface OperationKind {
  /** The target kind this kind runs (`record.target.kind`). */
  readonly targetKind: OperationTargetKind;
  /** Operation types it accepts (wire and internal), for filters and validation. */
  readonly types: readonly string[];
  /**
   * True: operations on one target run one at a time, later ones wait QUEUED behind the first
   * (application operations). False: each starts RUNNING at once (a task's KILL runs while its
   * CREATE is still running).
   */
  readonly oneAtATimePerTarget: boolean;
  /**
   * Runs one operation to its outcome. It must honour `op.control` (start nothing new once
   * stopping; interrupt on force) and reject with OperationHaltedError when `op.haltSignal`
   * fires (controller shutdown or lost leadership: the next leader resumes the record). Called
   * again for a resumed record, which carries its `checkpoint`.
   */
  run(op: RunningOperation): Promise<OperationOutcome>;
  /**
   * The kind's aborter: called after a cancel or abort of `op` was recorded (CANCELLING
   * persisted), and again when a graceful abort escalates to FORCE. The engine has already told
   * the run to stop (`op.stopping`, `op.signal`); this is where a kind whose work lives outside
   * the run (a task on an executor) stops that work. Resolves once the stop request is persisted.
   */
  abort?(op: RunningOperation, reason: CancelReason): Promise<void>;
}
