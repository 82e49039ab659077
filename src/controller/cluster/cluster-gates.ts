/** The cluster-wide gates every write checks (maintenance mode, docs/api.md §4.7). */
import type { ClusterState } from '../../api/cluster-types.ts';

export interface ClusterGates {
  state(): ClusterState;
  /** Throws CommandValidationError('Cluster is in maintenance mode') while in maintenance or its grace window. */
  assertWritable(): void;
  /** True in maintenance (no automatic recovery, no stale handling). */
  inMaintenance(): boolean;
}
