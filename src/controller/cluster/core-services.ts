/**
 * The concrete services behind the controller context that the core routes need beyond the
 * `ControllerContext` interfaces (maintenance set/unset, removed executors, blacklisting).
 */
import type { ControllerNode } from '../../api/cluster-types.ts';
import type { ControllerContext } from '../context.ts';
import type { StoreEventBus } from '../events/event-bus.ts';
import type { LiveExecutorRegistry } from '../executors/executor-registry.ts';
import type { CapacityIndex } from '../scheduler/capacity-index.ts';
import type { ClusterStateManager } from './cluster-state.ts';
import type { ExecutorBlacklisting } from './executor-blacklisting.ts';
import type { WorkloadCounts } from './workload-counts.ts';

export interface CoreServices {
  ctx: ControllerContext;
  registry: LiveExecutorRegistry;
  /** Resource sums over the fleet, kept as it changes (the summary's totals). */
  capacity: CapacityIndex;
  cluster: ClusterStateManager;
  eventBus: StoreEventBus;
  blacklisting: ExecutorBlacklisting;
  /** `host:port` of the leader as this controller knows it ('' while there is none). */
  leaderAddress(): string;
  /** The summary's app, task and local-service counts: from memory once the modules loaded, else from the store. */
  workloadCounts(): WorkloadCounts | Promise<WorkloadCounts>;
  /** Every controller and its role, when several share the store (docs/ha.md). */
  controllers?: () => Promise<ControllerNode[]>;
}
