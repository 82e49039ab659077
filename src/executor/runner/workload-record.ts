/**
 * What the executor persists per workload (task or app instance) under its data dir, so a
 * restarted executor can restore every workload: the spec and allocation it was given, the
 * state of each prestart hook, what the hooks produced, the driver handle, the current state,
 * a pending stop request and the recent events.
 */
import type { InstanceReport, TaskReport } from '../../api/channel-protocol.ts';
import type { ApplicationSpec, InstanceState, LocalInstanceInfo } from '../../api/app-types.ts';
import type { AbortMode } from '../../api/operation-types.ts';
import type { Allocation } from '../../api/resource-types.ts';
import type { TaskResult, TaskSpec, TaskState, WorkloadEvent } from '../../api/task-types.ts';
import type { DriverHandle, ExitResult, PortBinding, WorkloadStartSpec } from '../drivers/driver.ts';
import type { PrestartResponse } from './hook-types.ts';
import type { WorkloadPaths } from './workload-store.ts';

export type WorkloadKind = 'task' | 'instance';
export type WorkloadState = TaskState | InstanceState;

/** Where the runner is in its walk; decides where a restored workload resumes. */
export type WorkloadPhase = 'prestart' | 'running' | 'exited' | 'done';

export const RECORD_VERSION = 1;
export const MAX_EVENTS = 50;

export interface HookState {
  state: Record<string, string>;
  done: boolean;
}

/** A stop asked for by the controller (or by a failed check, `internal`). */
export interface StopRequest {
  mode: AbortMode;
  reason: string;
  /** SIGTERM → SIGKILL wait; falls back to the workload's kill timeout. */
  killTimeoutMs?: number;
  /** Tasks: the TaskResult status to record (CANCELLED or TIMED_OUT). */
  resultStatus?: 'CANCELLED' | 'TIMED_OUT';
  /** Raised by the executor itself (readiness/health failure): no preShutdown hooks, state kept. */
  internal?: boolean;
  requestedAt: number;
}

/** What prestart hooks produced, kept so done hooks need not run again after a restart. */
export interface PreparedWorkload {
  env: Record<string, string>;
  ports: PortBinding[];
  configFiles: { localFilename: string; hostPath: string }[];
}

export interface WorkloadRecord {
  version: number;
  kind: WorkloadKind;
  instanceId: string;
  /** TaskSpec for tasks, ApplicationSpec for instances. */
  spec: TaskSpec | ApplicationSpec;
  /** Instances only. */
  appId?: string;
  allocation: Allocation;
  killTimeoutMs: number;
  phase: WorkloadPhase;
  state: WorkloadState;
  hooks: Record<string, HookState>;
  prepared: PreparedWorkload;
  handle?: DriverHandle;
  exit?: ExitResult;
  taskResult?: TaskResult;
  errorMessage: string;
  localInfo?: LocalInstanceInfo;
  stopRequest?: StopRequest;
  events: WorkloadEvent[];
  created: number;
  updated: number;
}

export function taskSpecOf(record: WorkloadRecord): TaskSpec {
  if (record.kind !== 'task') throw new Error(`${record.instanceId} is not a task`);
  return record.spec as TaskSpec;
}

export function appSpecOf(record: WorkloadRecord): ApplicationSpec {
  if (record.kind !== 'instance') throw new Error(`${record.instanceId} is not an app instance`);
  return record.spec as ApplicationSpec;
}

export function newWorkloadRecord(init: {
  kind: WorkloadKind;
  instanceId: string;
  spec: TaskSpec | ApplicationSpec;
  appId?: string;
  allocation: Allocation;
  killTimeoutMs: number;
  now: number;
}): WorkloadRecord {
  return {
    version: RECORD_VERSION,
    kind: init.kind,
    instanceId: init.instanceId,
    spec: init.spec,
    appId: init.appId,
    allocation: init.allocation,
    killTimeoutMs: init.killTimeoutMs,
    phase: 'prestart',
    state: 'PENDING',
    hooks: {},
    prepared: { env: {}, ports: [], configFiles: [] },
    errorMessage: '',
    events: [],
    created: init.now,
    updated: init.now,
  };
}

/**
 * Keeps what a prestart hook answered: its state (so a restarted executor resumes it or skips
 * it when done) and what it prepared (environment, host ports, config files).
 */
export function recordPrestart(record: WorkloadRecord, hookName: string, response: PrestartResponse, hostname: string): void {
  record.hooks[hookName] = { state: response.state ?? {}, done: response.done ?? false };
  const prepared = record.prepared;
  if (response.env) prepared.env = { ...prepared.env, ...response.env };
  if (response.ports) {
    prepared.ports = response.ports;
    record.localInfo = {
      hostname,
      ports: Object.fromEntries(response.ports.map((p) => [p.name, { containerPort: p.containerPort, hostPort: p.hostPort, portType: p.type }])),
    };
  }
  if (response.configFiles) prepared.configFiles = response.configFiles;
}

/** Appends an event, keeping only the newest MAX_EVENTS. */
export function pushEvent(record: WorkloadRecord, event: WorkloadEvent): void {
  record.events.push(event);
  if (record.events.length > MAX_EVENTS) record.events.splice(0, record.events.length - MAX_EVENTS);
}

export function isTerminal(record: WorkloadRecord): boolean {
  return record.phase === 'done';
}

/** What the controller is told about `record`. */
export function reportOf(record: WorkloadRecord): TaskReport | InstanceReport {
  return record.kind === 'task' ? taskReportOf(record) : instanceReportOf(record);
}

export function taskReportOf(record: WorkloadRecord): TaskReport {
  const spec = taskSpecOf(record);
  const report: TaskReport = {
    instanceId: record.instanceId,
    sourceAppName: spec.sourceAppName,
    taskId: spec.taskId,
    state: record.state as TaskState,
    errorMessage: record.errorMessage,
    events: [...record.events],
    updated: record.updated,
  };
  if (record.taskResult) report.taskResult = { ...record.taskResult };
  return report;
}

export function instanceReportOf(record: WorkloadRecord): InstanceReport {
  const spec = appSpecOf(record);
  const report: InstanceReport = {
    instanceId: record.instanceId,
    appId: record.appId ?? `${spec.name}-${spec.version}`,
    appName: spec.name,
    state: record.state as InstanceState,
    errorMessage: record.errorMessage,
    events: [...record.events],
    updated: record.updated,
  };
  if (record.localInfo) report.localInfo = record.localInfo;
  return report;
}

/** The spec handed to the driver: the record's spec plus what the prestart hooks produced. */
export function startSpecOf(record: WorkloadRecord, paths: WorkloadPaths, executorId: string): WorkloadStartSpec {
  const spec = record.spec as TaskSpec & ApplicationSpec;
  const ownerId = record.kind === 'task' ? spec.sourceAppName : (record.appId ?? `${spec.name}-${spec.version}`);
  return {
    kind: record.kind,
    instanceId: record.instanceId,
    ownerId,
    executable: spec.executable,
    args: spec.args ?? [],
    env: record.prepared.env,
    workDir: paths.taskDir,
    logDir: paths.logDir,
    configFiles: record.prepared.configFiles,
    allocation: record.allocation,
    ports: record.prepared.ports,
    volumes: spec.volumes ?? [],
    devices: spec.devices ?? [],
    userSpec: spec.userSpec,
    logging: spec.logging,
    labels: {
      'corral.instance-id': record.instanceId,
      'corral.kind': record.kind,
      'corral.owner': ownerId,
      'corral.executor-id': executorId,
    },
  };
}
