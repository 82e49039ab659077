/**
 * The control channel between an executor and the controller (corral's own; docs/api.md §4.11).
 *
 * The executor dials out: a WebSocket to `ws(s)://controller/apis/v1/internal/executors/channel`
 * with header `Cluster-Authorization: <cluster secret>`; a wrong or missing secret is answered
 * HTTP 401 before any upgrade. Every frame is one JSON object with a `type`. The first executor
 * frame must be `hello` (and small, CHANNEL_HELLO_MAX_BYTES); the controller answers `welcome`
 * (or closes with code 4003 refused, reason text says why — e.g. another process holds the
 * executor id, see `HelloMessage.identityKey`). After that:
 *
 *  executor → controller: `snapshot` on connect and every `snapshotIntervalMs`, `taskUpdate` /
 *                         `instanceUpdate` on every state change, `reply` to a `request`.
 *                         `taskUpdates` / `instanceUpdates` carry the task / instance reports of
 *                         one turn of the executor's event loop in one frame, in the order they
 *                         happened; each is sent only to a controller whose `welcome.features`
 *                         lists it (older controllers get one `taskUpdate` / `instanceUpdate`
 *                         each, and the controller still takes those from older executors).
 *  controller → executor: `startTask`, `stopTask`, `startInstance`, `stopInstance`, `forget`,
 *                         `executorState`, `request` (log files, …). `startTasks` carries the
 *                         starts of one turn for one executor; sent only to an executor whose
 *                         `hello.features` lists `startTasks`.
 *
 * Leadership: every controller frame carries the leader's `epoch` (ControllerFrame); a follower
 * refuses the upgrade with HTTP 400 `This node is not the leader controller` and an
 * `X-Corral-Leader` header naming the leader, and the executor moves on to the next URL.
 *
 * Delivery: state updates are idempotent (a later `updated` wins); the full snapshot repairs
 * anything lost on a broken connection. Terminal workloads stay in the executor's snapshot until
 * the controller has persisted them and sent `forget`, so no result is lost across restarts.
 */
import type { InstanceState, LocalInstanceInfo } from './app-types.ts';
import type { ExecutorIdentity, ExecutorState } from './cluster-types.ts';
import type { Allocation, ResourceUsage } from './resource-types.ts';
import type { AbortMode } from './operation-types.ts';
import type { ApplicationSpec } from './app-types.ts';
import type { TaskResult, TaskSpec, TaskState, WorkloadEvent } from './task-types.ts';

/**
 * The largest control-channel frame either end accepts (bytes). A start message is bounded below
 * it: its spec by the controller's request body limit, its fetched configs by
 * `controllerFetchMaxBytes` (base64 adds a third), both capped by the controller's config.
 */
export const MAX_CHANNEL_FRAME_BYTES = 128 * 1024 * 1024;

export const CHANNEL_PATH = '/apis/v1/internal/executors/channel';
export const CLUSTER_AUTH_HEADER = 'cluster-authorization';
export const CLOSE_WRONG_SECRET = 4001;
export const CLOSE_REFUSED = 4003;
/**
 * The controller could not register the executor for a reason of its own (its store failing
 * mid-hello): not a refusal of the executor, which reconnects on its usual backoff rather than
 * the slow retry a refusal earns. The standard WebSocket "Try Again Later".
 */
export const CLOSE_TRY_AGAIN = 1013;
export const CLOSE_REPLACED = 4009;
/** Largest frame a connection may send before its `hello` was accepted. */
export const CHANNEL_HELLO_MAX_BYTES = 256 * 1024;
/** Largest frame of a registered executor (a full snapshot of a busy executor). */
export const CHANNEL_MAX_BYTES = 64 * 1024 * 1024;

// ---------------------------------------------------------------- executor → controller

export interface HelloMessage {
  type: 'hello';
  executor: ExecutorIdentity;
  /** Optional message types this executor understands (e.g. `startTasks`); absent = none. */
  features?: string[];
  /**
   * A random secret the executor created on its first start and keeps in its data dir: the
   * proof that a hello for an executor id comes from the same executor as before. While that
   * executor is connected (or not yet declared lost) a hello with another key is refused, so a
   * second process cannot take over its id (docs/security.md).
   */
  identityKey?: string;
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
  /** The appId, or the serviceId of a local-service instance. */
  appId: string;
  appName: string;
  state: InstanceState;
  localInfo?: LocalInstanceInfo;
  errorMessage: string;
  events: WorkloadEvent[];
  updated: number;
  /** A local-service instance (docs/localservices.md); absent for application instances. */
  localService?: true;
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
export const FEATURE_INSTANCE_UPDATES = 'instanceUpdates';
/** Optional channel features an executor announces in `hello.features`. */
export const FEATURE_START_TASKS = 'startTasks';

export interface InstanceUpdateMessage {
  type: 'instanceUpdate';
  instance: InstanceReport;
}

/** Instance reports of one burst (one turn of the executor's event loop), oldest first. */
export interface InstanceUpdatesMessage {
  type: 'instanceUpdates';
  instances: InstanceReport[];
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

/** One running workload's usage in a `stats` frame, with what names it in metrics. */
export interface WorkloadStats {
  instanceId: string;
  kind: 'task' | 'instance';
  /** appId of an instance, sourceAppName of a task. */
  ownerId: string;
  taskId?: string;
  usage: ResourceUsage;
}

/**
 * Every running workload's usage, sampled every `intervalMs` (`--stats-interval`); sent only to
 * a controller whose `welcome.features` lists `stats`. A frame is the executor's whole set: a
 * workload missing from it has ended (its metric series are dropped).
 */
export interface StatsMessage {
  type: 'stats';
  time: number;
  intervalMs: number;
  workloads: WorkloadStats[];
}

/** Optional channel feature: the controller takes `stats` frames. */
export const FEATURE_STATS = 'stats';

export type ExecutorMessage =
  | HelloMessage | SnapshotMessage | TaskUpdateMessage | TaskUpdatesMessage | InstanceUpdateMessage | InstanceUpdatesMessage
  | ReplyMessage | StatsMessage;

// ---------------------------------------------------------------- controller → executor

export interface WelcomeMessage {
  type: 'welcome';
  executorState: ExecutorState;
  snapshotIntervalMs: number;
  /** Workloads the controller knows on this executor; the executor reaps anything else it runs. */
  knownInstanceIds?: string[];
  /** Optional message types this controller understands (e.g. `taskUpdates`, `instanceUpdates`); absent = none. */
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
  /** The appId, or the serviceId of a local-service instance. */
  appId: string;
  spec: ApplicationSpec;
  allocation: Allocation;
  killTimeoutMs: number;
  /** The instance's token, given to it as DROVE_APP_INSTANCE_AUTH_TOKEN (docs/api.md §4.10). */
  instanceToken?: string;
  /**
   * Set for a local-service instance: its environment names the service (DROVE_SERVICE_ID, …)
   * and, with `hostLevel`, each port is published on the host at its own number.
   */
  localService?: { hostLevel: boolean };
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

/** Largest `logs.chunk` an executor answers (its base64 frame stays far below CHANNEL_MAX_BYTES). */
export const LOG_CHUNK_MAX_BYTES = 1024 * 1024;

export type RequestAction =
  | { action: 'logs.list'; target: LogTarget }
  | { action: 'logs.read'; target: LogTarget; fileName: string; offset: number; length: number }
  /**
   * Up to `length` (≤ LOG_CHUNK_MAX_BYTES) raw bytes from `offset`: answers `{ base64, size }`,
   * `size` being the file's size now. Downloads are a series of these (docs/security.md).
   */
  | { action: 'logs.chunk'; target: LogTarget; fileName: string; offset: number; length: number }
  /** Older controllers: the whole file in one frame, `{ base64: string, size: number }` (at most 64 MiB). */
  | { action: 'logs.download'; target: LogTarget; fileName: string };

export type RequestMessage = { type: 'request'; requestId: string } & RequestAction;

export type ControllerMessage =
  | WelcomeMessage | StartTaskMessage | StartTasksMessage | StopTaskMessage | StartInstanceMessage | StopInstanceMessage
  | ForgetMessage | ExecutorStateMessage | RequestMessage;

/**
 * A controller message as sent: stamped with the sender's leadership `epoch` (docs/ha.md). The
 * executor keeps the newest epoch it has seen and refuses (and logs) any frame with an older
 * one, so a deposed leader that wakes up with frames queued cannot command it. A single
 * controller (SQLite) sends 0; a frame without one (an older controller) counts as 0.
 */
export type ControllerFrame = ControllerMessage & { epoch?: number };
