/**
 * The control channel between an executor and the controller (corral's own; API.md §4.11).
 *
 * The executor dials out: a WebSocket to `ws(s)://controller/apis/v1/internal/executors/channel`
 * with header `Cluster-Authorization: <cluster secret>`. Every frame is one JSON object with a
 * `type`. The first executor frame must be `hello`; the controller answers `welcome` (or closes
 * with code 4001 wrong secret / 4003 refused, reason text says why). After that:
 *
 *  executor → controller: `snapshot` on connect and every `snapshotIntervalMs`, `taskUpdate` /
 *                         `instanceUpdate` on every state change, `reply` to a `request`.
 *                         `taskUpdates` carries several task reports in one frame, in the order
 *                         they happened; sent only to a controller whose `welcome.features`
 *                         lists `taskUpdates` (older controllers get one `taskUpdate` each).
 *  controller → executor: `startTask`, `stopTask`, `startInstance`, `stopInstance`, `forget`,
 *                         `executorState`, `request` (log files, …). `startTasks` carries the
 *                         starts of one turn for one executor; sent only to an executor whose
 *                         `hello.features` lists `startTasks`.
 *
 * Delivery: state updates are idempotent (a later `updated` wins); the full snapshot repairs
 * anything lost on a broken connection. Terminal workloads stay in the executor's snapshot until
 * the controller has persisted them and sent `forget`, so no result is lost across restarts.
 */
import type { InstanceState, LocalInstanceInfo } from './app-types.ts';
import type { ExecutorIdentity, ExecutorState } from './cluster-types.ts';
import type { Allocation } from './resource-types.ts';
import type { AbortMode } from './operation-types.ts';
import type { ApplicationSpec } from './app-types.ts';
import type { TaskResult, TaskSpec, TaskState, WorkloadEvent } from './task-types.ts';

export const CHANNEL_PATH = '/apis/v1/internal/executors/channel';
export const CLUSTER_AUTH_HEADER = 'cluster-authorization';
export const CLOSE_WRONG_SECRET = 4001;
export const CLOSE_REFUSED = 4003;
export const CLOSE_REPLACED = 4009;

// ---------------------------------------------------------------- executor → controller

export interface HelloMessage {
  type: 'hello';
  executor: ExecutorIdentity;
  /** Optional message types this executor understands (e.g. `startTasks`); absent = none. */
  features?: string[];
}

/** A task as the executor sees it. `events` are the runner's events so far (bounded). */
export interface TaskReport {
  instanceId: string;
  sourceAppName: string;
  taskId: string;
  state: TaskState;
  taskResult?: TaskResult;
  errorMessage: string;
  events: WorkloadEvent[];
  updated: number;
}

export interface InstanceReport {
  instanceId: string;
  appId: string;
  appName: string;
  state: InstanceState;
  localInfo?: LocalInstanceInfo;
  errorMessage: string;
  events: WorkloadEvent[];
  updated: number;
}

export interface SnapshotMessage {
  type: 'snapshot';
  tasks: TaskReport[];
  instances: InstanceReport[];
  time: number;
}

export interface TaskUpdateMessage {
  type: 'taskUpdate';
  task: TaskReport;
}

/** Task reports of one burst (one turn of the executor's event loop), oldest first. */
export interface TaskUpdatesMessage {
  type: 'taskUpdates';
  tasks: TaskReport[];
}

/** Optional channel features a controller announces in `welcome.features`. */
export const FEATURE_TASK_UPDATES = 'taskUpdates';
/** Optional channel features an executor announces in `hello.features`. */
export const FEATURE_START_TASKS = 'startTasks';

export interface InstanceUpdateMessage {
  type: 'instanceUpdate';
  instance: InstanceReport;
}

export interface ReplyMessage {
  type: 'reply';
  requestId: string;
  ok: boolean;
  data?: unknown;
  /** When !ok: a human-readable reason, and an HTTP-ish status (400 bad request, 404 not found). */
  error?: string;
  status?: number;
}

export type ExecutorMessage = HelloMessage | SnapshotMessage | TaskUpdateMessage | TaskUpdatesMessage | InstanceUpdateMessage | ReplyMessage;

// ---------------------------------------------------------------- controller → executor

export interface WelcomeMessage {
  type: 'welcome';
  executorState: ExecutorState;
  snapshotIntervalMs: number;
  /** Workloads the controller knows on this executor; the executor reaps anything else it runs. */
  knownInstanceIds?: string[];
  /** Optional message types this controller understands (e.g. `taskUpdates`); absent = none. */
  features?: string[];
}

/** A resolved config file: CONTROLLER_HTTP_FETCH configs arrive already fetched, as INLINE. */
export interface StartTaskMessage {
  type: 'startTask';
  instanceId: string;
  spec: TaskSpec;
  allocation: Allocation;
  /** SIGTERM → wait this long → SIGKILL. */
  killTimeoutMs: number;
}

/** Several task starts for one executor in one frame, in order; each as a `startTask`. */
export interface StartTasksMessage {
  type: 'startTasks';
  tasks: Omit<StartTaskMessage, 'type'>[];
}

export interface StopTaskMessage {
  type: 'stopTask';
  instanceId: string;
  mode: AbortMode;
  /** For GRACEFUL: how long to wait after SIGTERM before SIGKILL (defaults to the task's kill timeout). */
  killTimeoutMs?: number;
  /** TaskResult status to record for the run: CANCELLED (kill/abort) or TIMED_OUT (maxRunDuration). */
  resultStatus: 'CANCELLED' | 'TIMED_OUT';
  reason: string;
}

export interface StartInstanceMessage {
  type: 'startInstance';
  instanceId: string;
  appId: string;
  spec: ApplicationSpec;
  allocation: Allocation;
  killTimeoutMs: number;
}

export interface StopInstanceMessage {
  type: 'stopInstance';
  instanceId: string;
  mode: AbortMode;
  reason: string;
}

/** The controller has persisted these terminal workloads; the executor may drop their records. */
export interface ForgetMessage {
  type: 'forget';
  instanceIds: string[];
}

export interface ExecutorStateMessage {
  type: 'executorState';
  executorState: ExecutorState;
}

export type LogTarget = { kind: 'task' | 'instance'; instanceId: string };

export type RequestAction =
  | { action: 'logs.list'; target: LogTarget }
  | { action: 'logs.read'; target: LogTarget; fileName: string; offset: number; length: number }
  /** Answers `{ base64: string, size: number }`. */
  | { action: 'logs.download'; target: LogTarget; fileName: string };

export type RequestMessage = { type: 'request'; requestId: string } & RequestAction;

export type ControllerMessage =
  | WelcomeMessage | StartTaskMessage | StartTasksMessage | StopTaskMessage | StartInstanceMessage | StopInstanceMessage
  | ForgetMessage | ExecutorStateMessage | RequestMessage;
