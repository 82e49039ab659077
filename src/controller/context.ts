/**
 * What every controller module gets: the configuration, the store, the live executor registry,
 * the event bus, cluster gates, the resource ledger, the operations module's port, a clock and
 * a logger. Built once by the controller (controller.ts).
 *
 * House rule: change the live model only after the store write has succeeded, and answer
 * the client only after both (docs/architecture.md, "The life of an operation").
 */
import type { Clock } from '../common/clock.ts';
import type { Logger } from '../common/logger.ts';
import type { ExecutorRecord } from '../api/cluster-types.ts';
import type { ClusterOpSpec } from '../api/spec-types.ts';
import type { ClusterGates } from './cluster/cluster-gates.ts';
import type { ControllerConfig } from './config.ts';
import type { EventBus } from './events/event-bus.ts';
import type { ExecutorRegistry } from './executors/live-executor.ts';
import type { InstanceTokenIssuer } from './http/instance-tokens.ts';
import type { WorkloadUsageBook } from './executors/workload-usage.ts';
import type { Operations } from './operations/operations-port.ts';
import type { CapacityIndex } from './scheduler/capacity-index.ts';
import type { ResourceLedger } from './scheduler/resource-ledger.ts';
import type { Store } from './store/store.ts';

export interface ControllerContext {
  config: ControllerConfig;
  store: Store;
  executors: ExecutorRegistry;
  events: EventBus;
  cluster: ClusterGates;
  ledger: ResourceLedger;
  /** The capacity check's totals per placement policy, kept as the ledger and the fleet change. */
  capacity?: CapacityIndex;
  /** Where every kind of operation is registered, submitted, read and cancelled. */
  operations: Operations;
  clock: Clock;
  logger: Logger;
  /** The default op spec for internal operations (recovery, blacklist moves). */
  defaultOpSpec: ClusterOpSpec;
  /** `host:port` of this controller as shown in the cluster summary. */
  leaderAddress: string;
  /** Mints each app instance's `DROVE_APP_INSTANCE_AUTH_TOKEN` (docs/api.md §4.10). */
  instanceTokens: InstanceTokenIssuer;
  /**
   * Set by the applications module while it moves instances off blacklisted executors: the
   * blacklist endpoint then stops at BLACKLIST_REQUESTED and the mover sets BLACKLISTED once the
   * moves are done (docs/api.md §4.6). Without it there is nothing to move and BLACKLISTED is immediate.
   */
  movesInstancesOffBlacklisted?: boolean;
  /** The latest usage of every running workload (executors' `stats` frames): `resourceUsage` in info, `/metrics`. */
  usage?: WorkloadUsageBook;
  /** Placement latency for `/metrics` (scheduler/placement.ts calls it). */
  observePlacement?: (seconds: number, placed: boolean) => void;
  /**
   * Set by the local-services module: whether an executor has the local-service instances it
   * must run. A joining or unblacklisted executor that does not stays UNREADY until it does
   * (docs/api.md §7.4). Asked with the executor's record, so a joining executor can be judged
   * before it is in the live view.
   */
  executorReady?: (executor: Pick<ExecutorRecord, 'executorId' | 'drivers'>) => boolean;
}
