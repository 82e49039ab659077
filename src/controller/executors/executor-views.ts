/**
 * Wire views of executors (docs/api.md §4.4, §4.5): the list row (ExecutorSummary, no extra fields)
 * and the details (ExecutorNodeData plus corral's extra fields). Resource numbers come from
 * the ledger, the controller's truth about allocations.
 */
import type { InstanceInfo, InstanceRecord } from '../../api/app-types.ts';
import type { CoreHolder, ExecutorNodeData, ExecutorRecord, ExecutorSummary } from '../../api/cluster-types.ts';
import type { TaskRecord } from '../../api/task-types.ts';
import type { LiveExecutor } from './live-executor.ts';
import type { ExecutorUsage } from '../scheduler/resource-ledger.ts';
import { toTaskInfo } from '../../api/task-info.ts';
import { localServiceInstanceInfo } from '../../api/localservice-types.ts';

/** Tags as clients see them: the hostname first, then the configured tags, no duplicates. */
export function executorTags(record: ExecutorRecord): string[] {
  return [...new Set([record.hostname, ...record.tags])];
}

/** One row of `GET /cluster/executors`. */
export function executorSummary(record: ExecutorRecord, usage: ExecutorUsage): ExecutorSummary {
  return {
    executorId: record.executorId,
    hostname: record.hostname,
    port: record.port,
    transportType: record.transportType,
    freeCores: usage.freeCores,
    usedCores: usage.usedCores,
    freeMemory: usage.freeMemory,
    usedMemory: usage.usedMemory,
    tags: executorTags(record),
    state: record.executorState,
  };
}

/** What the store places on one executor. */
export interface ExecutorWorkloads {
  instances: InstanceRecord[];
  tasks: TaskRecord[];
  serviceInstances?: InstanceRecord[];
}

/**
 * Core holders named by their workload: app instances by appId, local-service instances by
 * serviceId, tasks by sourceAppName and taskId.
 */
function coreHoldersOf(holders: { numaNode: string; core: number; ownerId: string }[], workloads: ExecutorWorkloads): CoreHolder[] {
  const apps = new Map(workloads.instances.map((i) => [i.instanceId, i.appId]));
  const services = new Map((workloads.serviceInstances ?? []).map((i) => [i.instanceId, i.appId]));
  const taskOf = new Map(workloads.tasks.map((t) => [t.instanceId, t]));
  return holders.map(({ numaNode, core, ownerId }) => {
    const task = taskOf.get(ownerId);
    const appId = apps.get(ownerId);
    const serviceId = services.get(ownerId);
    return {
      numaNode, core, instanceId: ownerId,
      ...(appId !== undefined ? { appId } : {}),
      ...(serviceId !== undefined ? { serviceId } : {}),
      ...(task ? { sourceAppName: task.sourceAppName, taskId: task.taskId } : {}),
    };
  });
}

/** `GET /cluster/executors/{id}`: the executor with the workloads the store places on it. */
export function executorNodeData(
  live: LiveExecutor, usage: ExecutorUsage, workloads: ExecutorWorkloads,
  holders: { numaNode: string; core: number; ownerId: string }[] = [],
): ExecutorNodeData {
  const { record } = live;
  return {
    type: 'EXECUTOR',
    hostname: record.hostname,
    port: record.port,
    transportType: record.transportType,
    updated: record.updated,
    state: {
      executorId: record.executorId,
      cpus: { type: 'CPU', freeCores: usage.freeCoresByNode, usedCores: usage.usedCoresByNode },
      memory: { type: 'MEMORY', freeMemory: usage.freeMemoryByNode, usedMemory: usage.usedMemoryByNode },
      layout: { cores: record.layout.cores, memory: record.layout.memory },
    },
    instances: workloads.instances.map(instanceInfoOf),
    // the same TaskInfo as GET /tasks/{app}/instances/{task}
    tasks: workloads.tasks.map(toTaskInfo),
    serviceInstances: (workloads.serviceInstances ?? []).map(localServiceInstanceInfo),
    tags: executorTags(record),
    metadata: { ...record.labels },
    executorState: record.executorState,
    blacklisted: record.executorState === 'BLACKLIST_REQUESTED' || record.executorState === 'BLACKLISTED',
    name: record.name,
    labels: record.labels,
    rack: record.rack,
    rackLabels: record.rackLabels,
    drivers: record.drivers,
    connected: live.connected,
    ...(record.host ? { host: record.host } : {}),
    coreHolders: coreHoldersOf(holders, workloads),
  };
}

/** InstanceInfo of a stored instance (the controller-only fields dropped). */
export function instanceInfoOf(record: InstanceRecord): InstanceInfo {
  const { operationId: _operationId, events: _events, ...info } = record;
  return info;
}
