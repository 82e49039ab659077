/** Cluster, executors and events (docs/api.md §4, §7.4, §7.5). */
import type { InstanceInfo } from './app-types.ts';
import type { LocalServiceInstanceInfo } from './localservice-types.ts';
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
  /** [corral] The machine's topology and how workloads are confined on it (absent from older executors). */
  host?: ExecutorHostInfo;
}

/** [corral] An executor's machine: NUMA nodes, reserved and isolated CPUs, and enforcement (docs/api.md §4.5). */
export interface ExecutorHostInfo {
  numaNodes: { id: string; cpus: number[]; memoryMB: number }[];
  isolatedCpus: number[];
  /** CPUs never offered (Drove's `osCores`). */
  osCores: number[];
  /** `pinned`: core ids are real CPUs, one per core booked; `shared`: counted cores, workloads share the offered CPUs. */
  pinning: 'pinned' | 'shared';
  sharedBecause?: string;
  overProvisioning?: { cpuMultiplier: number; memoryMultiplier: number };
  enforcement: {
    /** Cgroup layout found on the host. */
    cgroups: 'v1' | 'v2' | 'none';
    /** PROCESS workloads run in a cgroup with their cores and memory limit. */
    process: boolean;
    /** `--no-enforce`: the operator chose to run PROCESS workloads unconfined. */
    disabledByOperator: boolean;
    /** Why the host gives no cgroups (PROCESS starts are then refused unless disabledByOperator). */
    problem?: string;
  };
}

/** [corral] Which workload holds a core (executor details). */
export interface CoreHolder {
  numaNode: string;
  core: number;
  instanceId: string;
  appId?: string;
  serviceId?: string;
  sourceAppName?: string;
  taskId?: string;
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
  /** SHA-256 (hex) of the identity key its last hello carried (controller-side only; never served). */
  identityDigest?: string;
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
  serviceInstances: LocalServiceInstanceInfo[];
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
  host?: ExecutorHostInfo;
  coreHolders?: CoreHolder[];
}

/** A controller process of the cluster, as the cluster view lists it (docs/ha.md) [corral]. */
export interface ControllerNode {
  /** Its advertised base URL (`--advertise-url`). */
  url: string;
  role: 'LEADER' | 'FOLLOWER';
  /** It renewed its membership recently (a silent one is listed until it is forgotten). */
  alive: boolean;
}

export interface ClusterSummary {
  leader: string;
  /** corral: every controller and its role (several controllers share a PostgreSQL store). */
  controllers?: ControllerNode[];
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

/** corral-only event types: never on the legacy list, /latest or /summary (docs/api.md §4.8.4). */
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
