/**
 * Operation records of every kind: construction, the one table of legal transitions, history
 * messages, the Drydock-style result document (docs/sources.md#drydock) and the wire view.
 *
 *   QUEUED ──▶ RUNNING ──▶ COMPLETED | FAILED | TIMED_OUT
 *      │          │  └───▶ CANCELLED   (its work was cancelled from outside: a task killed by a KILL)
 *      │          │
 *      └──────────┴──▶ CANCELLING ──▶ CANCELLED   (CANCELLED only once nothing it started runs)
 *      └──▶ CANCELLED | FAILED        (ended before it ever ran)
 */
import { formatDuration } from '../../common/durations.ts';
import type { ClusterOpSpec } from '../../api/spec-types.ts';
import type {
  OperationMessage, OperationRecord, OperationState, OperationTarget,
} from '../../api/operation-types.ts';
import type { DrydockStatus, StatusMessage, StatusValue } from '../../api/task-types.ts';

/** History kept per record; older entries are dropped (the result keeps one line per instance). */
export const MAX_HISTORY = 200;

const TRANSITIONS: Record<OperationState, readonly OperationState[]> = {
  QUEUED: ['RUNNING', 'CANCELLING', 'CANCELLED', 'FAILED'],
  RUNNING: ['COMPLETED', 'FAILED', 'TIMED_OUT', 'CANCELLING', 'CANCELLED'],
  CANCELLING: ['CANCELLED'],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
  TIMED_OUT: [],
};

/** An impossible transition: a bug in the engine, never a client error. */
export class IllegalOperationTransitionError extends Error {
  readonly code = 'ILLEGAL_OPERATION_TRANSITION';
  constructor(operationId: string, from: OperationState, to: OperationState) {
    super(`Operation ${operationId} cannot go from ${from} to ${to}`);
  }
}

export function canTransition(from: OperationState, to: OperationState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(record: OperationRecord, to: OperationState): void {
  if (!canTransition(record.state, to)) throw new IllegalOperationTransitionError(record.operationId, record.state, to);
}

export interface NewOperation {
  operationId: string;
  type: string;
  target: OperationTarget;
  opSpec: ClusterOpSpec;
  createdBy: string;
  request: Record<string, unknown>;
  now: number;
}

export function newOperationRecord(args: NewOperation): OperationRecord {
  return {
    operationId: args.operationId,
    type: args.type,
    target: args.target,
    opSpec: args.opSpec,
    state: 'QUEUED',
    createdBy: args.createdBy,
    created: args.now,
    updated: args.now,
    progress: { total: 0, done: 0, failed: 0, inFlight: 0 },
    messages: [{ time: args.now, message: `Accepted ${args.type} from ${args.createdBy}` }],
    request: args.request,
  };
}

export function appendMessage(record: OperationRecord, time: number, message: string, error = false): void {
  const entry: OperationMessage = error ? { time, message, error } : { time, message };
  record.messages.push(entry);
  if (record.messages.length > MAX_HISTORY) record.messages.splice(0, record.messages.length - MAX_HISTORY);
}

export function targetKey(target: OperationTarget): string {
  return `${target.kind}:${describeTarget(target)}`;
}

/** The target as people name it: `appId`, `sourceAppName/taskId`, or a local service's `serviceId`. */
export function describeTarget(target: OperationTarget): string {
  switch (target.kind) {
    case 'app':
      return target.appId;
    case 'task':
      return `${target.sourceAppName}/${target.taskId}`;
    case 'localservice':
      return target.serviceId;
  }
}

export function resultStatusOf(state: OperationState, done: number, failed: number): StatusValue {
  if (state === 'COMPLETED') return 'success';
  if (state === 'CANCELLED') return 'incomplete';
  return done > 0 && failed > 0 ? 'partial_success' : 'failure';
}

/** Drydock's Status document (docs/sources.md#drydock) for a finished operation, one message per instance touched. */
export function buildResult(
  record: OperationRecord, state: OperationState, message: string, reason: string, messageList: StatusMessage[],
): DrydockStatus {
  const target = describeTarget(record.target);
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: { operationId: record.operationId, type: record.type, target },
    message,
    reason,
    status: resultStatusOf(state, record.progress.done, record.progress.failed),
    details: { errorCount: messageList.filter((m) => m.error).length, messageList },
  };
}

/** Wire view of an operation: the record without engine bookkeeping, durations in long form. */
export interface OperationView extends Omit<OperationRecord, 'checkpoint' | 'opSpec' | 'abortDeadline'> {
  opSpec: { timeout: string; parallelism: number; failureStrategy: string };
  /** appId when the target is an application (a convenience for filtering clients). */
  appId?: string;
  /** serviceId when the target is a local service. */
  serviceId?: string;
  abortDeadline?: number;
}

export function renderOperation(record: OperationRecord): OperationView {
  const { checkpoint: _checkpoint, opSpec, ...rest } = record;
  const view: OperationView = {
    ...rest,
    opSpec: { timeout: formatDuration(opSpec.timeout), parallelism: opSpec.parallelism, failureStrategy: opSpec.failureStrategy },
  };
  if (record.target.kind === 'app') view.appId = record.target.appId;
  if (record.target.kind === 'localservice') view.serviceId = record.target.serviceId;
  return view;
}
