/**
 * Cluster state (NORMAL / MAINTENANCE) and the maintenance gate of docs/api.md §1.7.
 *
 *   NORMAL ──set──▶ MAINTENANCE ──unset──▶ NORMAL (grace window: writes still blocked
 *                                                   until `updated + maintenanceGraceMs`)
 *
 * The state is persisted before it takes effect; a restarted controller keeps it (and the
 * grace window, which is measured from the persisted `updated`).
 */
import type { ClusterState, ClusterStateData } from '../../api/cluster-types.ts';
import type { Clock } from '../../common/clock.ts';
import { CommandValidationError, MAINTENANCE_MESSAGE } from '../../common/errors.ts';
import type { ClusterGates } from './cluster-gates.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { Store } from '../store/store.ts';

export class ClusterStateManager implements ClusterGates {
  private current: ClusterStateData = { state: 'NORMAL', updated: 0 };
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly graceMs: number;
  private events: EventBus | undefined;
  private hostname = '';

  constructor(deps: { store: Store; clock: Clock; maintenanceGraceMs: number }) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.graceMs = deps.maintenanceGraceMs;
  }

  /** Reads the persisted state (NORMAL when none was ever written). */
  async load(): Promise<void> {
    this.current = (await this.store.getClusterState()) ?? { state: 'NORMAL', updated: 0 };
  }

  /** Where MAINTENANCE_MODE_* events go, and the controller host named in them. */
  attachEvents(events: EventBus, hostname: string): void {
    this.events = events;
    this.hostname = hostname;
  }

  state(): ClusterState {
    return this.current.state;
  }

  data(): ClusterStateData {
    return { ...this.current };
  }

  /** True in maintenance and during the grace window after it was unset. */
  inMaintenance(): boolean {
    return this.current.state === 'MAINTENANCE' || this.clock.now() < this.current.updated + this.graceMs;
  }

  /** Whether mutating commands are refused right now. */
  writesBlocked(): boolean {
    return this.inMaintenance();
  }

  assertWritable(): void {
    if (this.writesBlocked()) throw new CommandValidationError(MAINTENANCE_MESSAGE);
  }

  /** Persists and applies a state; setting the current state again refreshes `updated`. */
  async set(state: ClusterState): Promise<ClusterStateData> {
    const next: ClusterStateData = { state, updated: this.clock.now() };
    await this.store.setClusterState(next);
    this.current = next;
    await this.events?.emit(state === 'MAINTENANCE' ? 'MAINTENANCE_MODE_SET' : 'MAINTENANCE_MODE_REMOVED', { HOSTNAME: this.hostname });
    return { ...next };
  }
}
