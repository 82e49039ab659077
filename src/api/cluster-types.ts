/** Cluster, executors and events (API.md §4, §7.4, §7.5). */
import type { InstanceInfo } from './app-types.ts';
import type { NumaMap, ResourceLayout } from './resource-types.ts';
import type { ExecutableType } from './spec-types.ts';
import type { TaskInfo } from './task-types.ts';

export type ExecutorState = 'ACTIVE' | 'UNREADY' | 'BLACKLIST_REQUESTED' | 'BLACKLISTED' | 'REMOVED';
export type ClusterState = 'NORMAL' | 'MAINTENANCE';

export interface ClusterStateData {
  state: ClusterState;
  updated: number;
}

/** What an executor tells about itself when it connects (control channel `hello`). */
export interface ExecutorIdentity {
  executorId: string;
  hostname: string;
  port: number;
  transportType: 'HTTP' | 'HTTPS';
  name: string;
  /** Configured tags, without the hostname (the controller adds it). */
  tags: string[];
  labels: Record<string, string>;
  rack?: string;
  rackLabels?: Record<string, string>;
  layout: ResourceLayout;
  /** Executable types it has a driver for. */
  drivers: ExecutableType[];
  version: string;
}

/** Persisted executor record: identity plus the controller's view of its state. */
export interface ExecutorRecord extends ExecutorIdentity {
  executorState: ExecutorState;
  /** Last time anything was heard from it (epoch ms). */
  lastSeen: number;
  /** Time of its last snapshot. */
  updated: number;
  /** Set when declared lost; cleared when it comes back. */
  lostAt?: number;
}

export interface ExecutorSummary {
  executorId: string;
  hostname: string;
  port: number;
  transportType: 'HTTP' | 'HTTPS';
  freeCores: number;
  usedCores: number;
  freeMemory: number;
  usedMemory: number;
  tags: string[];
  state: ExecutorState;
}

export interface ExecutorResourceSnapshot {
  executorId: string;
  cpus: { type: 'CPU'; freeCores: NumaMap<number[]>; usedCores: NumaMap<number[]> };
  memory: { type: 'MEMORY'; freeMemory: NumaMap<number>; usedMemory: NumaMap<number> };
  layout?: { cores: NumaMap<number[]>; memory: NumaMap<number> };
}

export interface ExecutorNodeData {
  type: 'EXECUTOR';
  hostname: string;
  port: number;
  transportType: 'HTTP' | 'HTTPS';
  updated: number;
  state: ExecutorResourceSnapshot;
  instances: InstanceInfo[];
  tasks: TaskInfo[];
  serviceInstances: unknown[];
  tags: string[];
  metadata: Record<string, string>;
  executorState: ExecutorState;
  blacklisted: boolean;
  // corral additions (executor details only, never in the executor list)
  name?: string;
  labels?: Record<string, string>;
  rack?: string;
  rackLabels?: Record<string, string>;
  drivers?: ExecutableType[];
  connected?: boolean;
}

export interface ClusterSummary {
  leader: string;
  state: ClusterState;
  numExecutors: number;
  numApplications: number;
  numActiveApplications: number;
  numActiveTasks: number;
  numLocalServices: number;
  numActiveLocalServices: number;
  freeCores: number;
  usedCores: number;
  totalCores: number;
  freeMemory: number;
  usedMemory: number;
  totalMemory: number;
}

/** Drove's twelve client-known event types plus corral's own (stream-only) types. */
export type DroveEventType =
  | 'APP_STATE_CHANGE' | 'INSTANCE_STATE_CHANGE' | 'TASK_STATE_CHANGE' | 'LOCAL_SERVICE_STATE_CHANGE'
  | 'LOCAL_SERVICE_INSTANCE_STATE_CHANGE' | 'EXECUTOR_ADDED' | 'EXECUTOR_REMOVED' | 'EXECUTOR_BLACKLIST_REQUESTED'
  | 'EXECUTOR_BLACKLISTED' | 'EXECUTOR_UN_BLACKLISTED' | 'MAINTENANCE_MODE_SET' | 'MAINTENANCE_MODE_REMOVED'
  | 'LEADERSHIP_ACQUIRED' | 'LEADERSHIP_LOST';

/** corral-only event types: never on the legacy list, /latest or /summary (API.md §4.8.4). */
export type CorralEventType = 'EXECUTOR_LOST' | 'EXECUTOR_RECONNECTED' | 'OPERATION_STATE_CHANGE' | 'TASK_EVENT';

export const DROVE_EVENT_TYPES: ReadonlySet<string> = new Set<DroveEventType>([
  'APP_STATE_CHANGE', 'INSTANCE_STATE_CHANGE', 'TASK_STATE_CHANGE', 'EXECUTOR_ADDED', 'EXECUTOR_REMOVED',
  'EXECUTOR_BLACKLIST_REQUESTED', 'EXECUTOR_BLACKLISTED', 'EXECUTOR_UN_BLACKLISTED', 'MAINTENANCE_MODE_SET',
  'MAINTENANCE_MODE_REMOVED', 'LEADERSHIP_ACQUIRED', 'LEADERSHIP_LOST',
]);

/** corral's own event types (stream-only). */
export const CORRAL_EVENT_TYPES: readonly CorralEventType[] = ['EXECUTOR_LOST', 'EXECUTOR_RECONNECTED', 'OPERATION_STATE_CHANGE', 'TASK_EVENT'];

/** Every event type there is (Drove's fourteen, local services included, and corral's own). */
export const ALL_EVENT_TYPES: ReadonlySet<string> = new Set<DroveEventType | CorralEventType>([
  ...DROVE_EVENT_TYPES as ReadonlySet<DroveEventType>, 'LOCAL_SERVICE_STATE_CHANGE', 'LOCAL_SERVICE_INSTANCE_STATE_CHANGE', ...CORRAL_EVENT_TYPES,
]);

export interface ClusterEvent {
  type: DroveEventType | CorralEventType;
  id: string;
  time: number;
  metadata: Record<string, string | number>;
}
