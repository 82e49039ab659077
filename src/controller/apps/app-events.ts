/** Metadata of APP_STATE_CHANGE and INSTANCE_STATE_CHANGE events (docs/api.md §4.8.4). */
import type { AppRecord, InstanceRecord } from '../../api/app-types.ts';
import { appCores, appMemory } from './app-views.ts';

export function appEventMetadata(app: AppRecord): Record<string, string | number> {
  const spec = app.spec;
  const metadata: Record<string, string | number> = {
    APP_ID: app.appId,
    APP_NAME: spec.name,
    APP_VERSION: spec.version,
    EXECUTABLE: spec.executable.type === 'DOCKER' ? spec.executable.url : spec.executable.command,
    CPU_COUNT: appCores(spec),
    MEMORY: appMemory(spec),
    PLACEMENT_POLICY: spec.placementPolicy?.type ?? 'ANY',
    PORTS: spec.exposedPorts.map((p) => `${p.name}:${p.port}:${p.type.toLowerCase()}`).join(','),
    CURRENT_INSTANCES: app.requiredInstances,
    CURRENT_STATE: app.state,
  };
  if (spec.exposureSpec) metadata.VHOST = spec.exposureSpec.vhost;
  return metadata;
}

export function instanceEventMetadata(instance: InstanceRecord, executorHost: string | undefined): Record<string, string | number> {
  const metadata: Record<string, string | number> = {
    APP_ID: instance.appId,
    APP_NAME: instance.appName,
    INSTANCE_ID: instance.instanceId,
    CURRENT_STATE: instance.state,
    CREATED: instance.created,
  };
  if (instance.executorId) metadata.EXECUTOR_ID = instance.executorId;
  const host = instance.localInfo?.hostname ?? executorHost;
  if (host) metadata.EXECUTOR_HOST = host;
  const ports = Object.entries(instance.localInfo?.ports ?? {});
  metadata.PORTS = ports.map(([name, p]) => `${name}:${p.hostPort}:${p.portType.toLowerCase()}`).join(',');
  if (instance.errorMessage) metadata.ERROR = instance.errorMessage;
  return metadata;
}
