/** Wire views of local services (docs/api.md §8) and spec-derived numbers. */
import { ACTIVE_INSTANCE_STATES, type InstanceRecord } from '../../api/app-types.ts';
import type { LocalServiceRecord, LocalServiceSpec, LocalServiceSummary } from '../../api/localservice-types.ts';

/** Whole cores per instance. */
export function serviceCores(spec: LocalServiceSpec): number {
  for (const r of spec.resources) if (r.type === 'CPU') return r.count;
  return 0;
}

/** MB per instance. */
export function serviceMemory(spec: LocalServiceSpec): number {
  for (const r of spec.resources) if (r.type === 'MEMORY') return r.sizeInMB;
  return 0;
}

/**
 * LocalServiceSummary: `healthyInstances` counts HEALTHY instances, `totalCPUs`/`totalMemory` the
 * resources of every instance in an active state (Drove's ResponseEngine).
 */
export function serviceSummary(service: LocalServiceRecord, instances: readonly InstanceRecord[]): LocalServiceSummary {
  const active = instances.filter((i) => ACTIVE_INSTANCE_STATES.has(i.state)).length;
  const summary: LocalServiceSummary = {
    id: service.serviceId,
    name: service.spec.name,
    instancesPerHost: service.instancesPerHost,
    healthyInstances: instances.filter((i) => i.state === 'HEALTHY').length,
    totalCPUs: serviceCores(service.spec) * active,
    totalMemory: serviceMemory(service.spec) * active,
    activationState: service.activationState,
    state: service.state,
    created: service.created,
    updated: service.updated,
  };
  if (service.spec.tags) summary.tags = service.spec.tags;
  // Drove's field order puts tags before the states.
  const { activationState, state, created, updated, ...head } = summary;
  return { ...head, activationState, state, created, updated };
}

/**
 * The `serviceStats` section of the cluster dashboard aggregate: services per state and per
 * activation state, the ten with the most HEALTHY instances, and the HEALTHY total.
 */
export function serviceDashboardStats(summaries: readonly LocalServiceSummary[]) {
  const serviceCountByState: Record<string, number> = {};
  const serviceCountByActivationState: Record<string, number> = {};
  for (const s of summaries) {
    serviceCountByState[s.state] = (serviceCountByState[s.state] ?? 0) + 1;
    serviceCountByActivationState[s.activationState] = (serviceCountByActivationState[s.activationState] ?? 0) + 1;
  }
  const topServices = [...summaries].sort((a, b) => b.healthyInstances - a.healthyInstances || (a.id < b.id ? -1 : 1)).slice(0, 10);
  return { serviceCountByState, serviceCountByActivationState, topServices, totalHealthyInstances: summaries.reduce((sum, s) => sum + s.healthyInstances, 0) };
}
