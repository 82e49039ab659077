/**
 * What every controller module (route plugins, task manager, operation engine, reconciler)
 * gets: the store, the live executor registry, the event bus, cluster gates, the resource
 * ledger, a clock and a logger. Built once by the controller (src/controller/controller.ts).
 *
 * House rule: change the live model only after the store write has succeeded, and answer
 * the client only after both (ARCHITECTURE.md "Data flow").
 */
import type { EventEmitter } from 'node:events';
import type { Clock } from '../common/clock.ts';
import type { Logger } from '../common/logger.ts';
import type { ClusterEvent, ClusterState, ExecutorRecord, ExecutorState } from '../api/cluster-types.ts';
import type {
  ControllerMessage, InstanceReport, RequestAction, SnapshotMessage, TaskReport,
} from '../api/channel-protocol.ts';
import type { ClusterOpSpec } from '../api/spec-types.ts';
import type { ControllerConfig } from './config.ts';
import type { ResourceLedger } from './scheduler/resource-ledger.ts';
import type { Store } from './store/store.ts';

/** The authenticated caller. */
export interface Principal {
  username: string;
  role: Role;
}

export type Role =
  | 'DROVE_EXTERNAL_ROOT' | 'DROVE_EXTERNAL_READ_WRITE' | 'DROVE_EXTERNAL_MAINTENANCE' | 'DROVE_EXTERNAL_READ_ONLY'
  | 'DROVE_CLUSTER_NODE' | 'DROVE_APPLICATION_INSTANCE';

/** Role groups of API.md §1.5 used on routes. */
export type RoleGroup = 'ANY' | 'RW' | 'MAINT' | 'LOGS';

/** A connected (or recently connected) executor as the leader sees it. */
export interface LiveExecutor {
  record: ExecutorRecord;
  connected: boolean;
  /** Last reports from the executor, by instanceId. */
  tasks: Map<string, TaskReport>;
  instances: Map<string, InstanceReport>;
  /** Optional channel features the executor announced in its hello (e.g. `startTasks`). */
  features?: readonly string[];
}

/**
 * Events of the executor registry. Task and app modules subscribe to these instead of
 * touching the WebSocket layer.
 */
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
}

export interface ExecutorRegistry extends EventEmitter<ExecutorRegistryEvents> {
  list(): LiveExecutor[];
  get(executorId: string): LiveExecutor | undefined;
  /** Sends a message; returns false when the executor is not connected. */
  send(executorId: string, message: ControllerMessage): boolean;
  /** Request/reply over the channel; rejects on timeout or when not connected. */
  request<T = unknown>(executorId: string, action: RequestAction, timeoutMs?: number): Promise<T>;
  /** Changes and persists an executor's state (blacklisting) and tells the executor. */
  setExecutorState(executorId: string, state: ExecutorState): Promise<ExecutorRecord | undefined>;
}

export interface EventBus {
  /** Stamps id/time, persists, and publishes to the live stream. */
  emit(type: ClusterEvent['type'], metadata: ClusterEvent['metadata']): Promise<ClusterEvent>;
  /** Live subscription (SSE stream); returns an unsubscribe function. */
  subscribe(listener: (event: ClusterEvent) => void): () => void;
}

export interface ClusterGates {
  state(): ClusterState;
  /** Throws CommandValidationError('Cluster is in maintenance mode') while in maintenance or its grace window. */
  assertWritable(): void;
  /** True in maintenance (no automatic recovery, no stale handling). */
  inMaintenance(): boolean;
}

export interface ControllerContext {
  config: ControllerConfig;
  store: Store;
  executors: ExecutorRegistry;
  events: EventBus;
  cluster: ClusterGates;
  ledger: ResourceLedger;
  clock: Clock;
  logger: Logger;
  /** The default op spec for internal operations (recovery, blacklist moves). */
  defaultOpSpec: ClusterOpSpec;
  /** `host:port` of this controller as shown in the cluster summary. */
  leaderAddress: string;
  /**
   * Set by the applications module while it moves instances off blacklisted executors: the
   * blacklist endpoint then stops at BLACKLIST_REQUESTED and the mover sets BLACKLISTED once the
   * moves are done (API.md §4.6). Without it there is nothing to move and BLACKLISTED is immediate.
   */
  movesInstancesOffBlacklisted?: boolean;
}

/**
 * A domain module of the controller (tasks, applications + operations, …): it registers its
 * routes and runs its background work. The controller builds each module with the context,
 * registers routes before listening, calls `start()` once it is the leader and the store is
 * loaded, and `stop()` on shutdown.
 *
 * Route conventions (implemented by src/controller/http): declare the role group in the route
 * config, e.g. `app.post('/apis/v1/tasks/operations', { config: { roles: 'RW' } }, handler)`;
 * the caller is `request.principal`; the body arrives parsed as `unknown` (JSON errors are
 * already answered); validate it with src/api/validation, then call `ctx.cluster.assertWritable()`
 * on gated writes, then apply the command. Return `success(data)` (src/common/envelope.ts) or
 * throw a CorralError (src/common/errors.ts); the server renders both in the Drove envelope.
 */
export interface ControllerModule {
  readonly name: string;
  registerRoutes(app: import('fastify').FastifyInstance): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route (API.md §1.5). Routes without it are refused (403) for safety. */
    roles?: RoleGroup;
    /** Skip authentication (only `/metrics` and the executor channel, which has its own). */
    public?: boolean;
  }
  interface FastifyRequest {
    principal: Principal;
  }
}
