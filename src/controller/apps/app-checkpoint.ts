/**
 * What an application operation checkpoints in its record, and how its steps are planned.
 *
 *   plan ──(steps computed and stored)──▶ steps ──(window drained)──▶ settle ──▶ outcome
 *
 * Steps are computed once, from the live model, when the operation first runs; a resumed
 * operation keeps its plan and re-attaches steps that were in flight to the instances they
 * had started (instances carry the operationId, so even a step whose checkpoint write was
 * lost finds its instance again).
 */
import type { AppModel } from './app-model.ts';
import type { StepRecord } from '../instances/instance-step-plan.ts';

export type { StepKind, StepRecord, StepStatus } from '../instances/instance-step-plan.ts';
export { planReplacements, planStops, reattachOrphans } from '../instances/instance-step-plan.ts';

export type AppPhase = 'plan' | 'steps' | 'settle';

export interface AppCheckpoint {
  phase: AppPhase;
  /** Scale-family operations: the instance count aimed at. */
  target?: number;
  steps: StepRecord[];
}

/** Operation types that scale to a count (START_INSTANCES and SUSPEND are SCALEs on the wire too). */
export const SCALE_FAMILY: ReadonlySet<string> = new Set(['CREATE', 'SCALE', 'START_INSTANCES', 'SUSPEND', 'RECOVER']);

export function readCheckpoint(raw: Record<string, unknown> | undefined): AppCheckpoint {
  if (raw && typeof raw.phase === 'string' && Array.isArray(raw.steps)) return raw as unknown as AppCheckpoint;
  return { phase: 'plan', steps: [] };
}

/**
 * Steps that bring the app from its live instances to `target`: start the missing ones, or stop
 * the surplus — instances not yet HEALTHY first (cheapest, serving nobody), then the HEALTHY
 * ones oldest first (docs/api.md §2.3.3).
 */
export function planScale(model: AppModel, appId: string, target: number): StepRecord[] {
  const up = model.comingUp(appId);
  if (up.length < target) {
    return Array.from({ length: target - up.length }, (_, i) => ({ id: i, kind: 'start' as const, status: 'pending' as const }));
  }
  const surplus = up.length - target;
  if (surplus === 0) return [];
  const notHealthy = up.filter((i) => i.state !== 'HEALTHY').sort((a, b) => b.created - a.created);
  const healthy = up.filter((i) => i.state === 'HEALTHY'); // already oldest first
  return [...notHealthy, ...healthy].slice(0, surplus).map((i, id) => ({ id, kind: 'stop' as const, instanceId: i.instanceId, status: 'pending' as const }));
}
