/** Applications and their instances (docs/api.md §2, §6.1, §7.1, §7.2). */
import type { ResourceAllocation, ResourceUsage } from './resource-types.ts';
import type {
  CheckSpec, ConfigSpec, DeviceSpec, Executable, ExposureSpec, LoggingSpec, MountedVolume, PlacementPolicy,
  PortSpec, PortType, PreShutdownSpec, ResourceRequirement, UserSpec,
} from './spec-types.ts';
import type { WorkloadEvent } from './task-types.ts';

export type ApplicationState =
  | 'INIT' | 'MONITORING' | 'RUNNING' | 'OUTAGE_DETECTED' | 'SCALING_REQUESTED' | 'STOP_INSTANCES_REQUESTED'
  | 'REPLACE_INSTANCES_REQUESTED' | 'DESTROY_REQUESTED' | 'DESTROYED' | 'FAILED';

export const ACTIVE_APP_STATES: ReadonlySet<ApplicationState> = new Set([
  'RUNNING', 'OUTAGE_DETECTED', 'SCALING_REQUESTED', 'STOP_INSTANCES_REQUESTED', 'REPLACE_INSTANCES_REQUESTED', 'DESTROY_REQUESTED',
]);

export type InstanceState =
  | 'PENDING' | 'PROVISIONING' | 'PROVISIONING_FAILED' | 'STARTING' | 'START_FAILED' | 'UNREADY'
  | 'READINESS_CHECK_FAILED' | 'READY' | 'HEALTHY' | 'UNHEALTHY' | 'STOPPING' | 'DEPROVISIONING'
  | 'STOPPED' | 'LOST' | 'UNKNOWN';

export const ACTIVE_INSTANCE_STATES: ReadonlySet<InstanceState> = new Set([
  'PENDING', 'PROVISIONING', 'STARTING', 'UNREADY', 'READY', 'HEALTHY', 'UNHEALTHY', 'DEPROVISIONING', 'STOPPING',
]);
export const RUNNING_INSTANCE_STATES: ReadonlySet<InstanceState> = new Set(['UNREADY', 'READY', 'HEALTHY']);

export interface ApplicationSpec {
  name: string;
  version: string;
  type: 'SERVICE' | 'COMPUTATION' | 'LOCAL_SERVICE';
  executable: Executable;
  exposedPorts: PortSpec[];
  volumes?: MountedVolume[];
  configs?: ConfigSpec[];
  logging?: LoggingSpec;
  resources: ResourceRequirement[];
  placementPolicy?: PlacementPolicy;
  healthcheck: CheckSpec;
  readiness: CheckSpec;
  tags?: Record<string, string>;
  env?: Record<string, string>;
  args?: string[];
  devices?: DeviceSpec[];
  exposureSpec?: ExposureSpec;
  preShutdown?: PreShutdownSpec;
  userSpec?: UserSpec;
}

export interface AppRecord {
  appId: string;
  spec: ApplicationSpec;
  state: ApplicationState;
  /** Expected instance count. */
  requiredInstances: number;
  created: number;
  updated: number;
  createdBy?: string;
}

export interface AppSummary {
  id: string;
  name: string;
  requiredInstances: number;
  healthyInstances: number;
  totalCPUs: number;
  totalMemory: number;
  tags?: Record<string, string>;
  state: ApplicationState;
  created: number;
  updated: number;
}

export interface InstancePort {
  containerPort: number;
  hostPort: number;
  portType: PortType;
}

export interface LocalInstanceInfo {
  hostname: string;
  ports: Record<string, InstancePort>;
}

export interface InstanceInfo {
  appId: string;
  appName: string;
  instanceId: string;
  executorId?: string;
  localInfo?: LocalInstanceInfo;
  resources?: ResourceAllocation[];
  state: InstanceState;
  metadata: Record<string, string>;
  errorMessage: string;
  created: number;
  updated: number;
  /** [corral] What it uses now, while it runs: on the single-instance read only, never stored (docs/api.md §2.8). */
  resourceUsage?: ResourceUsage;
}

/** What the controller persists per instance. */
export interface InstanceRecord extends InstanceInfo {
  /** Operation that started it, if any. */
  operationId?: string;
  events?: WorkloadEvent[];
}
