/**
 * The steps an instance operation (of an app or a local service) is made of, as they are kept
 * in the operation's checkpoint, and the plans shared by both kinds.
 *
 * Steps are computed once, from the live book, when the operation first runs; a resumed
 * operation keeps its plan and re-attaches steps that were in flight to the instances they
 * had started (instances carry the operationId, so even a step whose checkpoint write was
 * lost finds its instance again).
 */
import type { InstanceRecord } from '../../api/app-types.ts';

export type StepKind = 'start' | 'stop' | 'replace';
export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'cancelled';

export interface StepRecord {
  id: number;
  kind: StepKind;
  /** The instance to stop (stop) or to replace (replace). */
  instanceId?: string;
  /** The instance this step started (start, replace). */
  newInstanceId?: string;
  /** start: the executor it must run on (local services place per executor); replace: the old one's. */
  executorId?: string;
  /** replace: stop the old one before starting the new one. */
  stopFirst?: boolean;
  /** replace: the half in progress. */
  phase?: 'start' | 'stop';
  status: StepStatus;
  startedAt?: number;
  message?: string;
}

export function planStops(instanceIds: readonly string[]): StepRecord[] {
  return instanceIds.map((instanceId, id) => ({ id, kind: 'stop' as const, instanceId, status: 'pending' as const }));
}

export function planReplacements(instanceIds: readonly string[], stopFirst: boolean): StepRecord[] {
  return instanceIds.map((instanceId, id) => ({ id, kind: 'replace' as const, instanceId, stopFirst, status: 'pending' as const }));
}

/**
 * After a restart: a start step whose checkpoint lost its instance id gets it back from the
 * instances that name this operation and that no step claims.
 */
export function reattachOrphans(checkpoint: { steps: StepRecord[] }, owned: readonly InstanceRecord[]): void {
  const claimed = new Set(checkpoint.steps.map((s) => s.newInstanceId).filter((id): id is string => !!id));
  const orphans = owned.filter((i) => !claimed.has(i.instanceId));
  for (const step of checkpoint.steps) {
    if (orphans.length === 0) return;
    const open = step.status === 'pending' || step.status === 'running';
    const startsSomething = step.kind === 'start' || step.kind === 'replace';
    if (!open || !startsSomething || step.newInstanceId) continue;
    // A step bound to an executor only takes an instance that runs there.
    const index = orphans.findIndex((o) => !step.executorId || step.kind === 'replace' || o.executorId === step.executorId);
    if (index < 0) continue;
    const [orphan] = orphans.splice(index, 1);
    step.newInstanceId = orphan.instanceId;
    step.startedAt ??= orphan.created;
    step.status = 'running';
    if (step.kind === 'replace') step.phase = 'start';
  }
}

/** Counts of a plan's steps, for an operation resumed in its last phase. */
export function summarizeSteps(steps: readonly StepRecord[]) {
  const count = (status: StepStatus): number => steps.filter((s) => s.status === status).length;
  const failed = steps.filter((s) => s.status === 'failed');
  return {
    done: count('done'),
    failed: failed.length,
    timedOut: 0,
    cancelled: count('cancelled'),
    notStarted: count('pending'),
    halted: 0,
    firstFailure: failed[0]?.message,
  };
}
