/**
 * Gives memory back to the system once a burst is over (docs/scale.md, "Memory").
 *
 * After a burst — placing ten thousand instances, a flood of tasks — V8's old generation shrinks
 * back, but the pages it frees go to a pool of its own for reuse, still resident: 34–48 MB of the
 * controller's RSS after `bench:memory`'s load. V8 empties that pool only in a memory-reducing
 * collection, which its memory reducer starts only when the process allocates slowly; a
 * controller with a fleet never does (`--trace-memory-reducer`: "high alloc" every 8 s, even
 * idle with 100 executors), so the pages stayed forever. The same idea as the JVM's periodic
 * collections (G1PeriodicGCInterval): when resident memory has grown by `thresholdMb` over its
 * lowest and has stopped growing, run one memory-reducing collection. Measured: 267 → 176 MB
 * holding 10,000 instances, in one pause of ~150 ms — hence the guards: at most one every
 * `minGapMs`, and never with more than `maxLiveHeapMb` live (the pause grows with the heap, and
 * a pause of seconds would drop executors' channels).
 *
 * The collector is V8's `gc` taken from a fresh context with `--expose-gc` set for that moment
 * only, so no `gc` is left on the controller's global object.
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Logger } from '../common/logger.ts';

const MB = 1024 * 1024;

export interface MemoryReturnOptions {
  /** Growth of RSS over its lowest (MB) that calls for a collection; 0 turns this off. */
  thresholdMb: number;
  logger: Logger;
  checkEveryMs?: number;
  /** Least time between two collections. */
  minGapMs?: number;
  /** No collection while more than this is live in the heap (MB): the pause would be too long. */
  maxLiveHeapMb?: number;
  /** Injected by tests of the policy; default: this process's RSS and V8's heap. */
  readRssMb?: () => number;
  readLiveHeapMb?: () => number;
  collect?: () => void;
  now?: () => number;
}

/** V8's memory-reducing full collection (it also empties V8's page pool), without exposing `gc`. */
export function memoryReducingCollector(): () => void {
  const exposed = typeof (globalThis as { gc?: unknown }).gc === 'function';
  if (!exposed) v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as (options: object) => void;
  if (!exposed) v8.setFlagsFromString('--no-expose-gc');
  return () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

/** This process's resident memory (MB), from /proc; 0 where there is no /proc. */
export function residentMb(): number {
  try {
    const match = /VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export class MemoryReturn {
  private readonly options: Required<Omit<MemoryReturnOptions, 'collect'>> & { collect?: () => void };
  private floorMb = Infinity;
  private lastRssMb = 0;
  private lastCollectedAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private collector: (() => void) | undefined;
  /** The collector failed once (a Node without it): never tried again. */
  private unavailable = false;

  constructor(options: MemoryReturnOptions) {
    this.options = {
      checkEveryMs: 10_000, minGapMs: 30_000, maxLiveHeapMb: 192,
      readRssMb: residentMb, readLiveHeapMb: () => v8.getHeapStatistics().used_heap_size / MB, now: () => performance.now(),
      ...options,
    };
  }

  start(): void {
    if (this.options.thresholdMb <= 0 || this.timer) return;
    // The floor is what the controller holds now, before any burst (which may be over by the first tick).
    this.floorMb = this.lastRssMb = this.options.readRssMb();
    this.timer = setInterval(() => this.check(), this.options.checkEveryMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look at memory (the timer's tick); returns whether it collected. */
  check(): boolean {
    const o = this.options;
    if (o.thresholdMb <= 0 || this.unavailable) return false;
    const rss = o.readRssMb();
    const previous = this.lastRssMb;
    this.lastRssMb = rss;
    this.floorMb = Math.min(this.floorMb, rss);
    const grown = rss - this.floorMb;
    // Still growing: the burst is not over, and pages freed now would be taken again.
    const settled = previous > 0 && rss <= previous + 4;
    if (grown < o.thresholdMb || !settled || o.now() - this.lastCollectedAt < o.minGapMs) return false;
    const live = o.readLiveHeapMb();
    if (live > o.maxLiveHeapMb) return false;
    const started = performance.now();
    try {
      (this.collector ??= o.collect ?? memoryReducingCollector())();
    } catch (error) {
      o.logger.warn({ err: error }, 'could not run a memory-reducing collection; not trying again');
      this.unavailable = true;
      this.stop();
      return false;
    }
    const pauseMs = Math.round(performance.now() - started);
    this.lastCollectedAt = o.now();
    const after = o.readRssMb();
    this.floorMb = after;
    this.lastRssMb = after;
    o.logger.info({ rssBeforeMb: Math.round(rss), rssAfterMb: Math.round(after), liveHeapMb: Math.round(live), pauseMs }, 'memory returned to the system after a burst (one memory-reducing collection)');
    return true;
  }
}
