/**
 * Local services (docs/api.md §8, docs/localservices.md): a service that runs `instancesPerHost`
 * instances on every eligible executor (node agents, sidecars). Its spec is an ApplicationSpec
 * without `exposureSpec` and with a top-level LOCAL placement.
 */
import type { InstanceInfo, InstanceRecord } from './app-types.ts';
import type { ApplicationSpec } from './app-types.ts';

/** The persisted intent: what the service should run once no operation is in flight. */
export type LocalServiceActivationState = 'ACTIVE' | 'CONFIG_TESTING' | 'INACTIVE';

export type LocalServiceState =
  | 'INIT' | 'ACTIVATION_REQUESTED' | 'CONFIG_TESTING_REQUESTED' | 'DEACTIVATION_REQUESTED'
  | 'EMERGENCY_DEACTIVATION_REQUESTED' | 'INACTIVE' | 'ACTIVE' | 'CONFIG_TESTING' | 'ADJUSTING_INSTANCES'
  | 'DEPLOYING_TEST_INSTANCE' | 'REPLACING_INSTANCES' | 'STOPPING_INSTANCES' | 'UPDATING_INSTANCES_COUNT'
  | 'DESTROY_REQUESTED' | 'DESTROYED';

export const LOCAL_SERVICE_STATES: readonly LocalServiceState[] = [
  'INIT', 'ACTIVATION_REQUESTED', 'CONFIG_TESTING_REQUESTED', 'DEACTIVATION_REQUESTED', 'EMERGENCY_DEACTIVATION_REQUESTED',
  'INACTIVE', 'ACTIVE', 'CONFIG_TESTING', 'ADJUSTING_INSTANCES', 'DEPLOYING_TEST_INSTANCE', 'REPLACING_INSTANCES',
  'STOPPING_INSTANCES', 'UPDATING_INSTANCES_COUNT', 'DESTROY_REQUESTED', 'DESTROYED',
];

/** Wire operation types (`STOP` is accepted as an alias of DEACTIVATE). */
export const LOCAL_SERVICE_OPERATION_TYPES = [
  'CREATE', 'ACTIVATE', 'DEACTIVATE', 'DEPLOY_TEST_INSTANCE', 'ADJUST_INSTANCES', 'UPDATE_INSTANCE_COUNT',
  'REPLACE_INSTANCES', 'STOP_INSTANCES', 'RESTART', 'DESTROY',
] as const;
export type LocalServiceOperationType = (typeof LOCAL_SERVICE_OPERATION_TYPES)[number];

/** A local service's spec: an ApplicationSpec without `exposureSpec`. */
export type LocalServiceSpec = Omit<ApplicationSpec, 'exposureSpec'>;

export interface LocalServiceRecord {
  serviceId: string;
  spec: LocalServiceSpec;
  instancesPerHost: number;
  activationState: LocalServiceActivationState;
  state: LocalServiceState;
  created: number;
  updated: number;
  createdBy?: string;
  /** The last step's error (`Error: …`), kept for the summary's readers; cleared by the next success. */
  error?: string;
}

/** `GET /apis/v1/localservices/{id}` and each entry of the list. */
export interface LocalServiceSummary {
  id: string;
  name: string;
  instancesPerHost: number;
  healthyInstances: number;
  totalCPUs: number;
  totalMemory: number;
  tags?: Record<string, string>;
  activationState: LocalServiceActivationState;
  state: LocalServiceState;
  created: number;
  updated: number;
}

/** LocalServiceInstanceInfo: an InstanceInfo whose owner is named `serviceId`/`serviceName`. */
export type LocalServiceInstanceInfo = Omit<InstanceInfo, 'appId' | 'appName'> & { serviceId: string; serviceName: string };

/**
 * What the controller keeps per local-service instance: an InstanceRecord whose `appId` is the
 * serviceId and `appName` the service name, so the instance machinery shared with applications
 * (src/controller/instances) handles both. Rendered with Drove's field names on the wire.
 */
export type LocalServiceInstanceRecord = InstanceRecord;

/** LocalServiceInstanceInfo of a record: Drove's field names and order, controller bookkeeping left out. */
export function localServiceInstanceInfo(record: LocalServiceInstanceRecord): LocalServiceInstanceInfo {
  const info: LocalServiceInstanceInfo = { serviceId: record.appId, serviceName: record.appName, instanceId: record.instanceId } as LocalServiceInstanceInfo;
  if (record.executorId) info.executorId = record.executorId;
  if (record.localInfo) info.localInfo = record.localInfo;
  if (record.resources) info.resources = record.resources;
  info.state = record.state;
  info.metadata = record.metadata ?? {};
  info.errorMessage = record.errorMessage ?? '';
  info.created = record.created;
  info.updated = record.updated;
  return info;
}
