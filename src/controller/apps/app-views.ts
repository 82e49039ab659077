/** Wire views of applications and instances (API.md §2.8) and spec-derived numbers. */
import type { AppRecord, AppSummary, ApplicationSpec, InstanceInfo, InstanceRecord } from '../../api/app-types.ts';
import type { CheckSpec } from '../../api/spec-types.ts';
import { durationMillis } from '../../common/durations.ts';

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

function checkBudgetMs(check: CheckSpec): number {
  const initial = check.initialDelay ? durationMillis(check.initialDelay) : 0;
  return initial + check.attempts * (durationMillis(check.timeout) + durationMillis(check.interval));
}

/**
 * The least time an instance start may be given (API.md §2.2): image pull budget plus, for
 * readiness and health check each, `initialDelay + attempts × (timeout + interval)`.
 */
export function minimumStartTimeoutMs(spec: ApplicationSpec): number {
  const pull = spec.executable.type === 'DOCKER' ? durationMillis(spec.executable.dockerPullTimeout) : 0;
  return pull + checkBudgetMs(spec.readiness) + checkBudgetMs(spec.healthcheck);
}
