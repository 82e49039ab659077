/**
 * Whether the store takes writes, learned from the writes themselves: a call that fails because
 * the database cannot be written (disk full, PostgreSQL down or restarting, database locked —
 * `storeUnavailability`) turns the store UNAVAILABLE; the next successful write, or a probe write
 * the health tracker makes every few seconds meanwhile, turns it AVAILABLE again.
 *
 *   AVAILABLE ──a call fails for lack of the store──▶ UNAVAILABLE ──a write succeeds──▶ AVAILABLE
 *                                                       (probe every 1 s, backing off to 5 s)
 *
 * One log line per change, never one per failed write. While UNAVAILABLE every store call that
 * fails for that reason throws StoreUnavailableError (HTTP 503, docs/api.md §1.4): callers
 * acknowledge nothing, and the operation engine pauses its runs until AVAILABLE.
 */
import { StoreUnavailableError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { Store } from './store.ts';
import { storeUnavailability } from './store-errors.ts';

/** What the rest of the controller sees of the store's health. */
export interface StoreHealthPort {
  readonly available: boolean;
  /** Resolves once the store takes writes again (at once when it does). */
  whenAvailable(): Promise<void>;
  /** Called on every change; returns an unsubscribe function. */
  onChange(listener: (available: boolean) => void): () => void;
}

/** True for a failure caused by the store being unavailable (already logged once by the health tracker). */
export function isStoreOutage(error: unknown): boolean {
  return error instanceof StoreUnavailableError;
}

export interface StoreHealthOptions {
  /** A harmless write that succeeds only when the store takes writes. */
  probe(): Promise<void>;
  logger: Logger;
  firstProbeMs?: number;
  maxProbeMs?: number;
}

export class StoreHealth implements StoreHealthPort {
  private up = true;
  private reason = '';
  private downSince = 0;
  private readonly listeners = new Set<(available: boolean) => void>();
  private waiters: (() => void)[] = [];
  private probeTimer: NodeJS.Timeout | undefined;
  private probeDelayMs: number;
  private stopped = false;
  private readonly options: StoreHealthOptions;

  constructor(options: StoreHealthOptions) {
    this.options = options;
    this.probeDelayMs = options.firstProbeMs ?? 1_000;
  }

  get available(): boolean {
    return this.up;
  }

  whenAvailable(): Promise<void> {
    if (this.up) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  onChange(listener: (available: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A call failed because the store cannot be written. */
  failed(reason: string): void {
    if (!this.up || this.stopped) return;
    this.up = false;
    this.reason = reason;
    this.downSince = Date.now();
    this.options.logger.error({ reason }, 'store unavailable: writes are refused with 503 and operations pause until it recovers');
    this.notify();
    this.probeDelayMs = this.options.firstProbeMs ?? 1_000;
    this.scheduleProbe();
  }

  /** A write succeeded. */
  succeeded(): void {
    if (this.up) return;
    this.up = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    const seconds = Math.round((Date.now() - this.downSince) / 100) / 10;
    this.options.logger.warn({ reason: this.reason, seconds }, 'store available again: operations resume');
    for (const wake of this.waiters.splice(0)) wake();
    this.notify();
  }

  /** Stops probing (controller shutdown); waiters are released so nothing hangs on a closed store. */
  stop(): void {
    this.stopped = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    for (const wake of this.waiters.splice(0)) wake();
  }

  private scheduleProbe(): void {
    if (this.stopped || this.up) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      this.options.probe().then(() => this.succeeded(), () => {
        // Still down (or failing otherwise): try again later, without a log line per attempt.
        this.probeDelayMs = Math.min(this.options.maxProbeMs ?? 5_000, this.probeDelayMs * 2);
        this.scheduleProbe();
      });
    }, this.probeDelayMs);
    this.probeTimer.unref();
  }

  private notify(): void {
    for (const listener of this.listeners) {
      try {
        listener(this.up);
      } catch (error) {
        this.options.logger.error({ err: error }, 'a store-health listener failed');
      }
    }
  }
}

const READS = /^(get|list)[A-Z]/;
const UNGUARDED = new Set(['kind', 'migrate', 'close', 'then']);

/**
 * The store, with every call's failure for lack of the store turned into StoreUnavailableError
 * and reported to `health`, and every successful write reported too (which ends an outage).
 */
export function guardStore(store: Store, health: StoreHealth): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || UNGUARDED.has(property)) return value;
      const isRead = READS.test(property);
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.then((answer: unknown) => {
          if (!isRead) health.succeeded();
          return answer;
        }, (error: unknown) => {
          const reason = storeUnavailability(error);
          if (reason === undefined) throw error;
          health.failed(reason);
          throw new StoreUnavailableError(reason, { cause: error });
        });
      };
    },
  });
}
