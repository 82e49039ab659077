/**
 * Why an operation is being stopped before it finished. Typed (not strings) so the runner can
 * settle differently: a Drove cancel and a GRACEFUL abort let steps in flight finish; a FORCE
 * abort interrupts them; a superseding SCALE leaves the app's expected count to the new
 * operation; a controller shutdown ends nothing at all (the next leader resumes the work).
 */
import type { AbortMode } from '../../api/operation-types.ts';

export type CancelReason =
  /** `POST …/{appId}/cancel` (Drove): graceful, no deadline. */
  | { kind: 'cancel'; by: string }
  /** `POST /apis/v1/operations/abort` (corral, docs/sources.md#contrail). `deadline` is epoch ms after which GRACEFUL becomes FORCE. */
  | { kind: 'abort'; by: string; mode: AbortMode; deadline?: number }
  /** A newer operation on the same target replaces this one (SCALE while SCALING_REQUESTED). */
  | { kind: 'superseded'; by: string; operationId: string };

/** Thrown into waits when the controller stops leading: nothing is ended, the record stays active. */
export class OperationHaltedError extends Error {
  readonly code = 'OPERATION_HALTED';
  constructor() {
    super('The controller is shutting down; the operation will be resumed by the next leader');
  }
}

/** Reason attached to the force signal, so waits can tell an abort from a step timeout. */
export class ForceAbortError extends Error {
  readonly code = 'OPERATION_FORCE_ABORTED';
  readonly by: string;

  constructor(by: string) {
    super(`Operation aborted by force (requested by ${by})`);
    this.by = by;
  }
}

/** A step did not reach its target state within its timeout. */
export class StepTimeoutError extends Error {
  readonly code = 'STEP_TIMED_OUT';
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(`did not reach its target state within ${Math.round(timeoutMs / 1000)} s`);
    this.timeoutMs = timeoutMs;
  }
}

export function describeCancel(reason: CancelReason): string {
  switch (reason.kind) {
    case 'cancel':
      return `cancel requested by ${reason.by}`;
    case 'abort':
      return `${reason.mode} abort requested by ${reason.by}`;
    case 'superseded':
      return `superseded by operation ${reason.operationId} (requested by ${reason.by})`;
  }
}
