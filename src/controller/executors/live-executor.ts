/**
 * The executors as the leader sees them, and the registry port every module uses to follow and
 * command them without touching the WebSocket layer (executor-registry.ts implements it).
 */
import type { EventEmitter } from 'node:events';
import type { ExecutorRecord, ExecutorState } from '../../api/cluster-types.ts';
import type {
  ControllerMessage, InstanceReport, RequestAction, SnapshotMessage, StatsMessage, TaskReport,
} from '../../api/channel-protocol.ts';

/** A connected (or recently connected) executor as the leader sees it. */
export interface LiveExecutor {
  record: ExecutorRecord;
  connected: boolean;
  /**
   * Last task reports from the executor, by instanceId (a new leader re-applies them). Instance
   * reports are not kept here: the instance book holds each instance's state, and a copy of
   * every report per instance was ~a third of the controller's heap at 10,000 instances.
   */
  tasks: Map<string, TaskReport>;
  /** Optional channel features the executor announced in its hello (e.g. `startTasks`). */
  features?: readonly string[];
}

/** Events of the executor registry; task and app modules subscribe to these. */
export interface ExecutorRegistryEvents {
  /** An executor said hello and was accepted (new or reconnecting). */
  connected: [executor: LiveExecutor];
  /** Its connection dropped (it may come back within the grace period). */
  disconnected: [executor: LiveExecutor];
  /** Silent past the lost grace period: its workloads are to be considered LOST. */
  lost: [executor: LiveExecutor];
  /** Gone for good (removed after the longer grace period). */
  removed: [executorId: string];
  /** Its `executorState` changed (blacklisting, unblacklisting); persisted before this fires. */
  stateChanged: [executor: LiveExecutor, previous: ExecutorState];
  taskUpdate: [executorId: string, report: TaskReport];
  instanceUpdate: [executorId: string, report: InstanceReport];
  snapshot: [executorId: string, snapshot: SnapshotMessage];
  /** Usage of its running workloads (`stats` frame). */
  stats: [executorId: string, stats: StatsMessage];
}

export interface ExecutorRegistry extends EventEmitter<ExecutorRegistryEvents> {
  list(): LiveExecutor[];
  get(executorId: string): LiveExecutor | undefined;
  /** Bumped when an executor may have become schedulable (connected, or its state changed). */
  generation?(): number;
  /** Bumped whenever an executor joins, leaves, connects, disconnects, is lost or changes state. */
  viewGeneration?(): number;
  /** Sends a message; returns false when the executor is not connected. */
  send(executorId: string, message: ControllerMessage): boolean;
  /** Request/reply over the channel; rejects on timeout or when not connected. */
  request<T = unknown>(executorId: string, action: RequestAction, timeoutMs?: number): Promise<T>;
  /** Changes and persists an executor's state (blacklisting) and tells the executor. */
  setExecutorState(executorId: string, state: ExecutorState): Promise<ExecutorRecord | undefined>;
}
