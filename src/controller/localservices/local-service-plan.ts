/**
 * What a local service should run where, and the steps that get it there (docs/localservices.md,
 * "Instances per executor"):
 *
 *   eligible executor  connected, ACTIVE or UNREADY, with the driver for the spec's executable
 *                      type; tags do not matter (LOCAL placement matches every executor, as in Drove)
 *   ACTIVE             exactly `instancesPerHost` instances on every eligible executor
 *   CONFIG_TESTING     exactly one instance in the cluster, on an eligible executor
 *   INACTIVE           none
 *
 * Instances on a blacklisted executor are stopped, as Drove's monitor stops them; the executor
 * gets them back when it is unblacklisted. Instances on an executor that is away are left to the
 * instance reconciler (LOST once it is declared lost), then replaced when it is eligible again.
 * Counts are per executor (Drove's monitor only compares totals).
 */
import type { InstanceRecord } from '../../api/app-types.ts';
import type { ExecutorState } from '../../api/cluster-types.ts';
import type { LocalServiceRecord } from '../../api/localservice-types.ts';
import type { ExecutorRegistry, LiveExecutor } from '../executors/live-executor.ts';
import type { StepRecord } from '../instances/instance-step-plan.ts';
import type { LocalServiceModel } from './local-service-model.ts';

const ELIGIBLE_STATES: ReadonlySet<ExecutorState> = new Set(['ACTIVE', 'UNREADY']);
const BLACKLISTED_STATES: ReadonlySet<ExecutorState> = new Set(['BLACKLIST_REQUESTED', 'BLACKLISTED']);

export function isEligible(executor: LiveExecutor, service: LocalServiceRecord): boolean {
  return executor.connected && ELIGIBLE_STATES.has(executor.record.executorState) && executor.record.drivers.includes(service.spec.executable.type);
}

/** Executors the service runs on, in executorId order. */
export function eligibleExecutors(executors: Pick<ExecutorRegistry, 'list'>, service: LocalServiceRecord): LiveExecutor[] {
  return executors.list().filter((e) => isEligible(e, service))
    .sort((a, b) => (a.record.executorId < b.record.executorId ? -1 : 1));
}

/** Surplus to stop: not yet HEALTHY first (newest first), then HEALTHY ones newest first. */
function surplus(instances: InstanceRecord[], keep: number): InstanceRecord[] {
  if (instances.length <= keep) return [];
  const notHealthy = instances.filter((i) => i.state !== 'HEALTHY').sort((a, b) => b.created - a.created);
  const healthy = instances.filter((i) => i.state === 'HEALTHY').sort((a, b) => b.created - a.created);
  return [...notHealthy, ...healthy].slice(0, instances.length - keep);
}

/** The steps that bring the service's instances to what its activation state asks for (empty: nothing to do). */
export function planAdjust(model: LocalServiceModel, executors: Pick<ExecutorRegistry, 'list' | 'get'>, service: LocalServiceRecord): StepRecord[] {
  const up = model.comingUp(service.serviceId);
  const eligible = eligibleExecutors(executors, service);
  const eligibleIds = new Set(eligible.map((e) => e.record.executorId));
  const starts: string[] = [];
  const stops: InstanceRecord[] = [];
  // Leftovers on blacklisted executors are stopped whatever the activation state.
  for (const instance of up) {
    const state = instance.executorId ? executors.get(instance.executorId)?.record.executorState : undefined;
    if (state && BLACKLISTED_STATES.has(state)) stops.push(instance);
  }
  const onEligible = up.filter((i) => i.executorId && eligibleIds.has(i.executorId));
  switch (service.activationState) {
    case 'ACTIVE':
      for (const executor of eligible) {
        const here = onEligible.filter((i) => i.executorId === executor.record.executorId);
        for (let n = here.length; n < service.instancesPerHost; n++) starts.push(executor.record.executorId);
        stops.push(...surplus(here, service.instancesPerHost));
      }
      break;
    case 'CONFIG_TESTING':
      if (onEligible.length === 0 && eligible.length > 0) starts.push(leastLoaded(eligible, model).record.executorId);
      stops.push(...surplus(onEligible, 1));
      break;
    case 'INACTIVE':
      stops.push(...onEligible);
      break;
  }
  const steps: StepRecord[] = [];
  for (const executorId of starts) steps.push({ id: steps.length, kind: 'start', executorId, status: 'pending' });
  for (const instance of new Set(stops)) steps.push({ id: steps.length, kind: 'stop', instanceId: instance.instanceId, status: 'pending' });
  return steps;
}

/** The executor with the fewest instances of any local service (ties: executorId order). */
function leastLoaded(eligible: LiveExecutor[], model: LocalServiceModel): LiveExecutor {
  const load = (e: LiveExecutor) => model.instancesOn(e.record.executorId).length;
  return eligible.reduce((best, e) => (load(e) < load(best) ? e : best));
}

/** Replacements of HEALTHY instances, each started again on its own executor. */
export function planReplacements(model: LocalServiceModel, instanceIds: readonly string[], stopFirst: boolean): StepRecord[] {
  return instanceIds.map((instanceId) => model.instance(instanceId)).filter((i): i is InstanceRecord => i?.state === 'HEALTHY')
    .map((instance, id) => ({ id, kind: 'replace' as const, instanceId: instance.instanceId, executorId: instance.executorId, stopFirst, status: 'pending' as const }));
}
