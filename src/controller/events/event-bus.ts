/**
 * The cluster event bus: stamps events, persists them in the store and publishes them to live
 * subscribers (the SSE stream). Events emitted in the same tick are written in one batch so a
 * burst of task state changes costs one store round trip, not one per event.
 *
 * `emit` never rejects: an event that cannot be persisted is logged and still published, so a
 * store hiccup never turns a state change into an unhandled rejection.
 */
import type { ClusterEvent } from '../../api/cluster-types.ts';
import type { Clock } from '../../common/clock.ts';
import { NotLeaderError } from '../../common/errors.ts';
import { newEventId } from '../../common/ids.ts';
import type { Logger } from '../../common/logger.ts';
import type { Store } from '../store/store.ts';
import { isStoreOutage } from '../store/store-health.ts';

export interface EventBus {
  /** Stamps id/time, persists, and publishes to the live stream. */
  emit(type: ClusterEvent['type'], metadata: ClusterEvent['metadata']): Promise<ClusterEvent>;
  /** Live subscription (SSE stream); returns an unsubscribe function. */
  subscribe(listener: (event: ClusterEvent) => void): () => void;
}

interface Pending {
  event: ClusterEvent;
  resolve: (event: ClusterEvent) => void;
}

/** How often old events are pruned (at most; less often with a short retention it would be wasteful). */
const PRUNE_INTERVAL_MS = 60_000;

export class StoreEventBus implements EventBus {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly listeners = new Set<(event: ClusterEvent) => void>();
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(deps: { store: Store; clock: Clock; logger: Logger }) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.logger = deps.logger.child({ component: 'events' });
  }

  emit(type: ClusterEvent['type'], metadata: ClusterEvent['metadata']): Promise<ClusterEvent> {
    const event: ClusterEvent = { type, id: newEventId(), time: this.clock.now(), metadata };
    return new Promise((resolve) => {
      this.pending.push({ event, resolve });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush().catch((error: unknown) => this.logger.error({ err: error }, 'flushing cluster events failed'));
        });
      }
    });
  }

  subscribe(listener: (event: ClusterEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Writes everything emitted so far; resolves when it is persisted (or failed and logged). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.write(batch);
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    try {
      await this.store.appendEvents(batch.map((p) => p.event));
    } catch (error) {
      // Published live all the same; a store outage is logged once by the store's health tracker.
      // A deposed leader's writes are fenced (docs/ha.md): expected, and said once by the election.
      if (error instanceof NotLeaderError) this.logger.info({ count: batch.length }, 'cluster events not persisted: this controller is no longer the leader');
      else if (!isStoreOutage(error)) this.logger.error({ err: error, count: batch.length }, 'could not persist cluster events');
    }
    for (const { event, resolve } of batch) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          this.logger.warn({ err: error }, 'event listener failed');
        }
      }
      resolve(event);
    }
  }

  /** Deletes events older than `retentionMs`; returns how many. */
  async prune(retentionMs: number): Promise<number> {
    const removed = await this.store.pruneEvents(this.clock.now() - retentionMs);
    if (removed > 0) this.logger.debug({ removed }, 'pruned old events');
    return removed;
  }

  /** Starts periodic pruning. */
  start(retentionMs: number): void {
    const every = Math.max(1_000, Math.min(PRUNE_INTERVAL_MS, Math.floor(retentionMs / 4)));
    this.pruneTimer = setInterval(() => {
      this.prune(retentionMs).catch((error: unknown) => this.logger.warn({ err: error }, 'event pruning failed'));
    }, every);
    this.pruneTimer.unref();
  }

  /** Stops pruning and writes what is pending. */
  async stop(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pruneTimer = undefined;
    await this.flush();
    this.listeners.clear();
  }
}
