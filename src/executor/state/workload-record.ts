/**
 * What the executor persists per workload (task or app instance) under its data dir, so a
 * restarted executor can restore every workload: the spec and allocation it was given, the
 * state of each prestart hook, what the hooks produced, the driver handle, the current state,
 * a pending stop request and the recent events. How records are written and read back:
 * record-codec.ts and workload-store.ts beside this file.
 */
import type { ApplicationSpec, InstanceState, LocalInstanceInfo } from '../../api/app-types.ts';
import type { AbortMode } from '../../api/operation-types.ts';
import type { Allocation } from '../../api/resource-types.ts';
import type { TaskResult, TaskSpec, TaskState, WorkloadEvent } from '../../api/task-types.ts';
import type { ConfigFile, DriverHandle, ExitResult, PortBinding } from './driver-state.ts';

export type WorkloadKind = 'task' | 'instance';
export type WorkloadState = TaskState | InstanceState;

/** Where the runner is in its walk; decides where a restored workload resumes. */
export type WorkloadPhase = 'prestart' | 'running' | 'exited' | 'done';

/** Bumped when a record written by this version cannot be read by an older one (or the reverse). */
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
  configFiles: ConfigFile[];
}

/**
 * What one prestart hook answered: its own state (so a restarted executor resumes it, or skips
 * it when `done`) and what it prepared, merged into `PreparedWorkload`.
 */
export interface PrestartOutcome extends Partial<PreparedWorkload> {
  state?: Record<string, string>;
  done?: boolean;
}

export interface WorkloadRecord {
  version: number;
  kind: WorkloadKind;
  instanceId: string;
  /** TaskSpec for tasks, ApplicationSpec for instances. */
  spec: TaskSpec | ApplicationSpec;
  /** Instances only: the appId, or the serviceId of a local-service instance. */
  appId?: string;
  /** Instances only: DROVE_APP_INSTANCE_AUTH_TOKEN (docs/api.md §4.10); never logged or reported. */
  instanceToken?: string;
  /** Local-service instances only (docs/localservices.md): `hostLevel` publishes ports at their own number. */
  localService?: { hostLevel: boolean };
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

export function taskSpecOf(record: Pick<WorkloadRecord, 'kind' | 'instanceId' | 'spec'>): TaskSpec {
  if (record.kind !== 'task') throw new Error(`${record.instanceId} is not a task`);
  return record.spec as TaskSpec;
}

export function appSpecOf(record: Pick<WorkloadRecord, 'kind' | 'instanceId' | 'spec'>): ApplicationSpec {
  if (record.kind !== 'instance') throw new Error(`${record.instanceId} is not an app instance`);
  return record.spec as ApplicationSpec;
}

/** The app id of an instance: given by the controller, or (older records) derived from the spec. */
export function appIdOf(record: Pick<WorkloadRecord, 'appId' | 'spec'>): string {
  const spec = record.spec as ApplicationSpec;
  return record.appId ?? `${spec.name}-${spec.version}`;
}

export function newWorkloadRecord(init: {
  kind: WorkloadKind;
  instanceId: string;
  spec: TaskSpec | ApplicationSpec;
  appId?: string;
  instanceToken?: string;
  localService?: { hostLevel: boolean };
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
    instanceToken: init.instanceToken,
    ...(init.localService ? { localService: { hostLevel: init.localService.hostLevel } } : {}),
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
 * it when done) and what it prepared (environment, host ports, config files). Host ports are
 * also what the controller is told (`localInfo`, with this executor's `hostname`).
 */
export function recordPrestart(record: WorkloadRecord, hookName: string, outcome: PrestartOutcome, hostname: string): void {
  record.hooks[hookName] = { state: outcome.state ?? {}, done: outcome.done ?? false };
  const prepared = record.prepared;
  if (outcome.env) prepared.env = { ...prepared.env, ...outcome.env };
  if (outcome.ports) {
    prepared.ports = outcome.ports;
    record.localInfo = {
      hostname,
      ports: Object.fromEntries(outcome.ports.map((p) => [p.name, { containerPort: p.containerPort, hostPort: p.hostPort, portType: p.type }])),
    };
  }
  if (outcome.configFiles) prepared.configFiles = outcome.configFiles;
}

/** Appends an event, keeping only the newest MAX_EVENTS. */
export function pushEvent(record: WorkloadRecord, event: WorkloadEvent): void {
  record.events.push(event);
  if (record.events.length > MAX_EVENTS) record.events.splice(0, record.events.length - MAX_EVENTS);
}
