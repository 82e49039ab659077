/**
 * How many simulated executors this machine can carry. Checked before the first agent starts
 * (open-file limit, free memory) and after every wave of agents (the event loop's delay while
 * the fleet idles, free memory): a fleet that would swamp the machine stops growing and says why,
 * instead of making every agent late for its pings and the controller declare them all lost.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Measured: an idle simulated executor (agent, socket, timers) holds about 0.4 MB of this process's memory; doubled for its workloads. */
export const BYTES_PER_AGENT = 1024 * 1024;
/** Sockets an agent holds (its channel), and files kept for the process itself. */
const FDS_PER_AGENT = 1;
const FD_RESERVE = 256;
/** Free memory the machine keeps for everything else. */
const MEMORY_RESERVE_BYTES = 256 * 1024 * 1024;
const SETTLE_MS = 300;

export interface CapacityVerdict {
  /** How many agents to run. */
  carry: number;
  /** Why that is fewer than asked (undefined when it is not). */
  reason?: string;
}

/** The soft open-files limit of this process (Infinity when it cannot be read). */
export function openFileLimit(limitsText?: string): number {
  try {
    const text = limitsText ?? readFileSync('/proc/self/limits', 'utf8');
    const line = text.split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft);
  } catch {
    return Infinity;
  }
}

export class CapacityWatch {
  private readonly maxLoopDelayMs: number;
  private readonly histogram: ReturnType<typeof monitorEventLoopDelay>;

  constructor(options: { maxLoopDelayMs?: number } = {}) {
    this.maxLoopDelayMs = options.maxLoopDelayMs ?? 1_000;
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
  }

  /** Before anything starts: what the open-file limit and free memory allow. */
  upfront(asked: number, fdLimit = openFileLimit(), freeBytes = os.freemem()): CapacityVerdict {
    const byFds = Math.floor((fdLimit - FD_RESERVE) / FDS_PER_AGENT);
    const byMemory = Math.floor(Math.max(0, freeBytes - MEMORY_RESERVE_BYTES) / BYTES_PER_AGENT);
    if (asked <= byFds && asked <= byMemory) return { carry: asked };
    if (byFds < byMemory) {
      return { carry: Math.max(0, byFds), reason: `the open-file limit (${fdLimit}) leaves room for ${Math.max(0, byFds)} executors; raise it with ulimit -n` };
    }
    return {
      carry: byMemory,
      reason: `${Math.round(freeBytes / 1024 / 1024)} MB of free memory carries about ${byMemory} executors (${BYTES_PER_AGENT / 1024 / 1024} MB each, ${MEMORY_RESERVE_BYTES / 1024 / 1024} MB kept free)`,
    };
  }

  /** After a wave: lets the fleet idle briefly and judges the event loop's delay and free memory meanwhile. */
  async afterWave(): Promise<CapacityVerdict> {
    this.histogram.reset();
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const p99 = this.histogram.percentile(99) / 1e6;
    if (p99 > this.maxLoopDelayMs) {
      return { carry: 0, reason: `the event loop fell ${Math.round(p99)} ms behind (p99) with the fleet idle, more than ${this.maxLoopDelayMs} ms: this machine is saturated` };
    }
    if (os.freemem() < MEMORY_RESERVE_BYTES) {
      return { carry: 0, reason: `free memory fell below ${MEMORY_RESERVE_BYTES / 1024 / 1024} MB` };
    }
    return { carry: 0 };
  }

  close(): void {
    this.histogram.disable();
  }
}
