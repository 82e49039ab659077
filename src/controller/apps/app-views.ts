/** Wire views of applications and instances (docs/api.md §2.8) and spec-derived numbers. */
import type { AppRecord, AppSummary, ApplicationSpec, InstanceInfo, InstanceRecord } from '../../api/app-types.ts';
import type { AppModel } from './app-model.ts';

/** Whole cores per instance. */
export function appCores(spec: ApplicationSpec): number {
  for (const r of spec.resources) if (r.type === 'CPU') return r.count;
  return 0;
}

/** MB per instance. */
export function appMemory(spec: ApplicationSpec): number {
  for (const r of spec.resources) if (r.type === 'MEMORY') return r.sizeInMB;
  return 0;
}

export function appSummary(app: AppRecord, healthyInstances: number): AppSummary {
  const summary: AppSummary = {
    id: app.appId,
    name: app.spec.name,
    requiredInstances: app.requiredInstances,
    healthyInstances,
    totalCPUs: appCores(app.spec) * app.requiredInstances,
    totalMemory: appMemory(app.spec) * app.requiredInstances,
    state: app.state,
    created: app.created,
    updated: app.updated,
  };
  if (app.spec.tags) summary.tags = app.spec.tags;
  return summary;
}

/** InstanceInfo exactly as §2.8.7: controller bookkeeping (operationId, events) left out. */
export function instanceInfo(record: InstanceRecord): InstanceInfo {
  const info: InstanceInfo = {
    appId: record.appId,
    appName: record.appName,
    instanceId: record.instanceId,
    state: record.state,
    metadata: record.metadata ?? {},
    errorMessage: record.errorMessage ?? '',
    created: record.created,
    updated: record.updated,
  };
  if (record.executorId) info.executorId = record.executorId;
  if (record.localInfo) info.localInfo = record.localInfo;
  if (record.resources) info.resources = record.resources;
  return info;
}

/**
 * The dashboard's `appStats` (docs/api.md §4.3): apps per state, the ten with the most healthy
 * instances (then most required, then appId), and the healthy instances of all apps.
 */
export function appDashboardStats(model: Pick<AppModel, 'listApps' | 'healthyCount'>) {
  const apps = model.listApps().map((record) => appSummary(record, model.healthyCount(record.appId)));
  const appCountByState: Record<string, number> = {};
  for (const app of apps) appCountByState[app.state] = (appCountByState[app.state] ?? 0) + 1;
  const topApps = [...apps]
    .sort((a, b) => b.healthyInstances - a.healthyInstances || b.requiredInstances - a.requiredInstances || (a.id < b.id ? -1 : 1))
    .slice(0, 10);
  return { appCountByState, topApps, totalHealthyInstances: apps.reduce((sum, a) => sum + a.healthyInstances, 0) };
}

export { minimumStartTimeoutMs } from '../instances/instance-timeouts.ts';
