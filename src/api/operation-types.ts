/**
 * Operations as persisted jobs (ARCHITECTURE.md "Operations, cancel and abort", issue 5).
 *
 *   QUEUED ──▶ RUNNING ──▶ COMPLETED | FAILED | TIMED_OUT
 *      │          │
 *      └──────────┴──▶ CANCELLING ──▶ CANCELLED   (abort/cancel; CANCELLED only once nothing it started runs)
 */
import type { ClusterOpSpec } from './spec-types.ts';
import type { DrydockStatus } from './task-types.ts';

export type OperationState = 'QUEUED' | 'RUNNING' | 'CANCELLING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT';
export const ACTIVE_OPERATION_STATES: ReadonlySet<OperationState> = new Set(['QUEUED', 'RUNNING', 'CANCELLING']);

export type AbortMode = 'GRACEFUL' | 'FORCE';

export type OperationTarget = { kind: 'app'; appId: string } | { kind: 'task'; sourceAppName: string; taskId: string };

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
