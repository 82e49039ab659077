/**
 * Operations as persisted jobs (docs/operations.md).
 *
 *   QUEUED ──▶ RUNNING ──▶ COMPLETED | FAILED | TIMED_OUT
 *      │          │
 *      └──────────┴──▶ CANCELLING ──▶ CANCELLED   (abort/cancel; CANCELLED only once nothing it started runs)
 */
import type { ClusterOpSpec } from './spec-types.ts';
import type { DrydockStatus } from './task-types.ts';

export type OperationState = 'QUEUED' | 'RUNNING' | 'CANCELLING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT';
/** States of an operation that has not ended yet: the one definition every part of corral uses. */
export const ACTIVE_OPERATION_STATES: readonly OperationState[] = ['QUEUED', 'RUNNING', 'CANCELLING'];
/** States an operation ends in (it never leaves them). */
export const FINISHED_OPERATION_STATES: readonly OperationState[] = ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];

export function isActiveOperationState(state: OperationState): boolean {
  return state === 'QUEUED' || state === 'RUNNING' || state === 'CANCELLING';
}

export type AbortMode = 'GRACEFUL' | 'FORCE';

/** What an operation acts on; `kind` names the operation kind that runs it (docs/operations.md). */
export type OperationTarget =
  | { kind: 'app'; appId: string }
  | { kind: 'task'; sourceAppName: string; taskId: string }
  | { kind: 'localservice'; serviceId: string };
export type OperationTargetKind = OperationTarget['kind'];

export interface OperationProgress {
  total: number;
  done: number;
  failed: number;
  inFlight: number;
}

export interface OperationMessage {
  time: number;
  message: string;
  error?: boolean;
}

export interface OperationRecord {
  operationId: string;
  /** Wire type (CREATE, SCALE, … for apps; CREATE, KILL for tasks) or an internal one (RECOVER, BLACKLIST_MOVE …). */
  type: string;
  target: OperationTarget;
  opSpec: ClusterOpSpec;
  state: OperationState;
  createdBy: string;
  created: number;
  updated: number;
  finished?: number;
  progress: OperationProgress;
  messages: OperationMessage[];
  result?: DrydockStatus;
  /** The accepted request (type-specific fields), kept so the engine can resume after a restart. */
  request: Record<string, unknown>;
  /** Engine bookkeeping that must survive a controller restart (which steps were done, targets …). */
  checkpoint?: Record<string, unknown>;
  abortedBy?: string;
  abortMode?: AbortMode;
  abortedAt?: number;
  abortDeadline?: number;
}
