/** Metadata of LOCAL_SERVICE_STATE_CHANGE and LOCAL_SERVICE_INSTANCE_STATE_CHANGE events (docs/api.md §4.8.4). */
import type { InstanceRecord } from '../../api/app-types.ts';
import type { LocalServiceRecord } from '../../api/localservice-types.ts';
import { serviceCores, serviceMemory } from './local-service-views.ts';

export function serviceEventMetadata(service: LocalServiceRecord): Record<string, string | number> {
  const spec = service.spec;
  return {
    LOCAL_SERVICE_ID: service.serviceId,
    LOCAL_SERVICE_NAME: spec.name,
    LOCAL_SERVICE_VERSION: spec.version,
    EXECUTABLE: spec.executable.type === 'DOCKER' ? spec.executable.url : spec.executable.command,
    PLACEMENT_POLICY: spec.placementPolicy?.type ?? 'LOCAL',
    CURRENT_INSTANCES_PER_HOST: service.instancesPerHost,
    CPU_COUNT: serviceCores(spec),
    MEMORY: serviceMemory(spec),
    PORTS: spec.exposedPorts.map((p) => `${p.name}:${p.port}:${p.type.toLowerCase()}`).join(','),
    CURRENT_STATE: service.state,
  };
}

export function serviceInstanceEventMetadata(instance: InstanceRecord, executorHost: string | undefined): Record<string, string | number> {
  const metadata: Record<string, string | number> = {
    SERVICE_ID: instance.appId,
    SERVICE_NAME: instance.appName,
    INSTANCE_ID: instance.instanceId,
    CURRENT_STATE: instance.state,
    CREATED: instance.created,
  };
  if (instance.executorId) metadata.EXECUTOR_ID = instance.executorId;
  const host = instance.localInfo?.hostname || executorHost;
  if (host) {
    metadata.EXECUTOR_HOST = host;
    const ports = Object.entries(instance.localInfo?.ports ?? {});
    metadata.PORTS = ports.map(([name, p]) => `${name}:${p.hostPort}:${p.portType.toLowerCase()}`).join(',');
  }
  if (instance.errorMessage) metadata.ERROR = instance.errorMessage;
  return metadata;
}
