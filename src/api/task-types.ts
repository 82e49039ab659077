/** Tasks (docs/api.md §3, §6.2, §7.3) plus corral's additions (node filters, Drydock results, events). */
import type { Duration } from '../common/durations.ts';
import type { ResourceAllocation, ResourceUsage } from './resource-types.ts';
import type {
  ClusterOpSpec, ConfigSpec, DeviceSpec, Executable, LoggingSpec, MountedVolume, PlacementPolicy,
  ResourceRequirement, UserSpec,
} from './spec-types.ts';

export type TaskState =
  | 'PENDING' | 'PROVISIONING' | 'PROVISIONING_FAILED' | 'STARTING' | 'RUNNING' | 'RUN_COMPLETED'
  | 'RUN_FAILED' | 'DEPROVISIONING' | 'STOPPED' | 'LOST' | 'UNKNOWN';

export const ACTIVE_TASK_STATES: ReadonlySet<TaskState> = new Set([
  'PENDING', 'PROVISIONING', 'STARTING', 'RUNNING', 'RUN_COMPLETED', 'DEPROVISIONING',
]);
export const TERMINAL_TASK_STATES: ReadonlySet<TaskState> = new Set(['STOPPED', 'LOST']);

export type TaskResultStatus = 'SUCCESSFUL' | 'TIMED_OUT' | 'CANCELLED' | 'FAILED' | 'LOST';
export interface TaskResult {
  status: TaskResultStatus;
  exitCode: number;
}

/** Drydock node filter (docs/sources.md#drydock), camelCase. */
export interface NodeFilterEntry {
  filterType: 'union' | 'intersection';
  nodeNames?: string[];
  nodeTags?: string[];
  nodeLabels?: Record<string, string>;
  rackNames?: string[];
  rackLabels?: Record<string, string>;
}
export interface NodeFilter {
  filterSetType: 'union' | 'intersection';
  filterSet: NodeFilterEntry[];
}

/** Parsed TaskSpec (docs/api.md §6.2) with corral's optional `nodeFilter` and `maxRunDuration`. */
export interface TaskSpec {
  sourceAppName: string;
  taskId: string;
  executable: Executable;
  volumes?: MountedVolume[];
  configs?: ConfigSpec[];
  logging?: LoggingSpec;
  resources: ResourceRequirement[];
  placementPolicy?: PlacementPolicy;
  tags?: Record<string, string>;
  env?: Record<string, string>;
  args?: string[];
  devices?: DeviceSpec[];
  userSpec?: UserSpec;
  nodeFilter?: NodeFilter;
  maxRunDuration?: Duration;
}

/** Drydock's Status document (docs/sources.md#drydock), used for task fan-out and operation results. */
export type StatusValue = 'success' | 'failure' | 'partial_success' | 'incomplete';
export interface StatusMessage {
  message: string;
  error: boolean;
  contextType: string; // "node" | "instance" | "task" | "operation" ...
  context: string;
  ts: number;
}
export interface DrydockStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, string>;
  message: string;
  reason: string;
  status: StatusValue;
  details: { errorCount: number; messageList: StatusMessage[] };
}

/** A lifecycle step or hook outcome on the executor, visible on TaskInfo.events (corral). */
export interface WorkloadEvent {
  time: number;
  type: string; // e.g. "Received", "Hook Failed", "Started", "Exited", "Killing", "Killed"
  message: string;
  hook?: string;
  error?: boolean;
}

/** TaskInfo as served by the API (docs/api.md §3.7) plus corral's additive fields. */
export interface TaskInfo {
  sourceAppName: string;
  taskId: string;
  instanceId: string;
  executorId?: string;
  hostname: string;
  executable: unknown; // wire form of the executable (durations rendered)
  resources?: ResourceAllocation[];
  volumes: MountedVolume[];
  loggingSpec?: unknown;
  env?: Record<string, string>;
  state: TaskState;
  metadata: Record<string, string>;
  taskResult?: TaskResult;
  errorMessage: string;
  created: number;
  updated: number;
  // corral additions
  createdBy?: string;
  terminatedBy?: string;
  parentTaskId?: string;
  subtaskIds?: string[];
  result?: DrydockStatus;
  events?: WorkloadEvent[];
  /** What it uses now, while it runs (single-task read only; docs/api.md §2.8). */
  resourceUsage?: ResourceUsage;
}

/** What the controller persists per task: the wire view plus what it needs to act. */
export interface TaskRecord {
  sourceAppName: string;
  taskId: string;
  instanceId: string;
  spec: TaskSpec;
  opSpec: ClusterOpSpec;
  executorId?: string;
  hostname: string;
  resources?: ResourceAllocation[];
  state: TaskState;
  taskResult?: TaskResult;
  errorMessage: string;
  metadata: Record<string, string>;
  created: number;
  updated: number;
  createdBy?: string;
  terminatedBy?: string;
  parentTaskId?: string;
  subtaskIds?: string[];
  result?: DrydockStatus;
  events: WorkloadEvent[];
  /** When the controller first saw it RUNNING (maxRunDuration is measured from here). */
  runningSince?: number;
  /** An unplaced PENDING task is ended (STOPPED, FAILED -1) if still unplaced at this time. Absent on a
   *  fanned-out subtask still waiting for a parallelism slot. */
  placementDeadline?: number;
  /** Set when a KILL/abort has been requested and not yet carried out. */
  killRequested?: { by: string; mode: 'GRACEFUL' | 'FORCE'; at: number; deadline?: number };
}
