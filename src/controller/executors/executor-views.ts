/**
 * Wire views of executors (API.md §4.4, §4.5): the list row (ExecutorSummary, no extra fields)
 * and the details (ExecutorNodeData plus corral's extra fields). Resource numbers come from
 * the ledger, the controller's truth about allocations.
 */
import type { InstanceInfo, InstanceRecord } from '../../api/app-types.ts';
import type { ExecutorNodeData, ExecutorRecord, ExecutorSummary } from '../../api/cluster-types.ts';
import type { TaskRecord } from '../../api/task-types.ts';
import type { LiveExecutor } from '../context.ts';
import type { ExecutorUsage } from '../scheduler/resource-ledger.ts';
import { toTaskInfo } from '../tasks/task-view.ts';

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

/** `GET /cluster/executors/{id}`: the executor with the workloads the store places on it. */
export function executorNodeData(live: LiveExecutor, usage: ExecutorUsage, instances: InstanceRecord[], tasks: TaskRecord[]): ExecutorNodeData {
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
    instances: instances.map(instanceInfoOf),
    // the same TaskInfo as GET /tasks/{app}/instances/{task}
    tasks: tasks.map(toTaskInfo),
    serviceInstances: [],
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
  };
}

/** InstanceInfo of a stored instance (the controller-only fields dropped). */
export function instanceInfoOf(record: InstanceRecord): InstanceInfo {
  const { operationId: _operationId, events: _events, ...info } = record;
  return info;
}
