/** What the executor registry is built with, and the defaults of its liveness clock. */
import type { ExecutorRecord } from '../../api/cluster-types.ts';
import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/logger.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { ResourceLedger } from '../scheduler/resource-ledger.ts';
import type { Store } from '../store/store.ts';

export interface ExecutorRegistryOptions {
  store: Store;
  ledger: ResourceLedger;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  snapshotIntervalMs: number;
  lostAfterMs: number;
  removedAfterMs: number;
  /** A connected executor silent this long has its connection dropped (default min(3 s, lost/2)). */
  silentAfterMs?: number;
  /** How often liveness is checked and pings are sent (default clamp(lost/10, 100 ms, 1 s)). */
  sweepIntervalMs?: number;
  /** How long removed executors stay in the list with state REMOVED (default 15 min). */
  removedVisibleMs?: number;
  /**
   * The leadership epoch stamped on every frame to executors (docs/ha.md): an executor refuses
   * frames older than the newest epoch it has seen. 0 for a single controller (SQLite).
   */
  epoch?: number;
  /**
   * Asked before every frame is sent: false once this controller may no longer be the leader
   * (its lease deadline passed, even if no timer has run yet), and then nothing is sent.
   */
  mayCommand?: () => boolean;
  /**
   * Whether a joining executor already has what it must run (its local-service instances): one
   * that does not registers UNREADY rather than ACTIVE, so nothing is placed on it meanwhile.
   */
  isReady?: (record: ExecutorRecord) => boolean;
}

/** The options with every default filled in. */
export function withRegistryDefaults(options: ExecutorRegistryOptions): Required<ExecutorRegistryOptions> {
  return {
    silentAfterMs: Math.min(3_000, Math.floor(options.lostAfterMs / 2)),
    sweepIntervalMs: Math.max(100, Math.min(1_000, Math.floor(options.lostAfterMs / 10))),
    removedVisibleMs: 15 * 60_000,
    epoch: 0,
    mayCommand: () => true,
    isReady: () => true,
    ...options,
  };
}
