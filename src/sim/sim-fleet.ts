/**
 * A simulated fleet (`corral sim`): N real executor agents in one process, each on its own
 * control-channel connection (same hello, welcome, snapshots, pings and reports as
 * `corral executor`), running every workload on the mock driver, in memory only (ephemeral: no
 * files per workload). Tags, labels and racks are spread across the fleet so placement rules
 * and node filters have something to choose from.
 *
 * Faults, on command:
 *   kill N|P%       the busiest machines die: their connections go silent and their workloads are gone
 *   partition N|P%  the busiest machines are cut off: silent connections, workloads keep running
 *   heal            every partition ends (held-back frames arrive, or a new connection is dialled)
 *   revive          every killed machine boots again, empty, under the same identity
 *
 * Agents are started in waves while the process watches itself (sim-capacity.ts): when the
 * machine cannot carry more, the fleet stops growing and says why.
 */
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Logger } from '../common/logger.ts';
import { startExecutor, type ExecutorAgent } from '../executor/agent/executor-agent.ts';
import { MockDriver, type MockBehaviour } from '../executor/drivers/mock/mock-driver.ts';
import { CapacityWatch, type CapacityVerdict } from './sim-capacity.ts';

export interface SimFleetOptions {
  controllers: string[];
  secret: string;
  executors: number;
  /** Cores and memory each simulated machine offers. */
  cores: number;
  memoryMb: number;
  /** Racks the fleet is spread over (`rack-1` … `rack-K`). */
  racks: number;
  /**
   * Tags handed out round-robin to a share of the fleet. Only that share: a tagged executor runs
   * only work that asks for one of its tags (MATCH_TAG), so the rest stays open to untagged apps.
   */
  tags: string[];
  /** Share (0–1) of the fleet that carries a tag; default 0.2. */
  taggedShare?: number;
  behaviour: MockBehaviour;
  /** Hostname prefix (`sim-0001`, …): two fleets on one controller need different ones. */
  prefix: string;
  logger: Logger;
  /** Agents started at once per wave. */
  wave?: number;
  /** Stop growing when the event loop's delay p99 passes this (ms). */
  maxLoopDelayMs?: number;
}

export type SlotState = 'starting' | 'up' | 'partitioned' | 'killed';

interface Slot {
  index: number;
  hostname: string;
  identityKey: string;
  state: SlotState;
  agent?: ExecutorAgent;
  behaviourDriver?: MockDriver;
}

export interface FleetStatus {
  asked: number;
  started: number;
  connected: number;
  partitioned: number;
  killed: number;
  workloads: number;
  /** Why the fleet stopped short of what was asked (undefined when it did not). */
  limitedBy?: string;
}

/** `10%` → a share of the fleet, `25` → a count; anything else is refused with a readable message. */
export function parseAmount(text: string, total: number): number {
  const trimmed = text.trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(trimmed);
  if (percent) {
    const share = Number(percent[1]);
    if (share > 100) throw new Error(`"${text}": a share is at most 100%`);
    return Math.round((share / 100) * total);
  }
  if (/^\d+$/.test(trimmed)) return Math.min(total, Number(trimmed));
  throw new Error(`"${text}" is neither a count (25) nor a share (10%)`);
}

export class SimFleet {
  private readonly options: SimFleetOptions;
  private readonly slots: Slot[] = [];
  private dataRoot = '';
  private limitedBy: string | undefined;
  private stopping = false;

  constructor(options: SimFleetOptions) {
    this.options = options;
  }

  /** Starts the agents in waves; resolves with how many run (fewer than asked when the machine could not carry them). */
  async start(onProgress?: (started: number) => void): Promise<CapacityVerdict> {
    this.dataRoot = await mkdtemp(path.join(os.tmpdir(), 'corral-sim-'));
    const watch = new CapacityWatch({ maxLoopDelayMs: this.options.maxLoopDelayMs });
    const upfront = watch.upfront(this.options.executors);
    const target = upfront.carry;
    if (upfront.reason) this.limitedBy = upfront.reason;
    const wave = Math.max(1, this.options.wave ?? 50);
    try {
      for (let first = 0; first < target && !this.stopping; first += wave) {
        const count = Math.min(wave, target - first);
        await Promise.all(Array.from({ length: count }, (_, i) => this.startSlot(this.newSlot(first + i))));
        onProgress?.(this.slots.length);
        const verdict = await watch.afterWave();
        if (verdict.reason) {
          this.limitedBy = verdict.reason;
          break;
        }
      }
    } finally {
      watch.close();
    }
    return { carry: this.slots.length, reason: this.limitedBy };
  }

  status(): FleetStatus {
    const count = (state: SlotState) => this.slots.filter((s) => s.state === state).length;
    return {
      asked: this.options.executors,
      started: this.slots.length,
      connected: this.slots.filter((s) => s.state === 'up' && s.agent?.isConnected()).length,
      partitioned: count('partitioned'),
      killed: count('killed'),
      workloads: this.slots.reduce((sum, s) => sum + (s.state !== 'killed' ? (s.behaviourDriver?.size ?? 0) : 0), 0),
      ...(this.limitedBy ? { limitedBy: this.limitedBy } : {}),
    };
  }

  /** Executor ids of the machines in a state (benchmarks compare them with the controller's view). */
  executorIds(state?: SlotState): string[] {
    return this.slots.filter((s) => !state || s.state === state).flatMap((s) => (s.agent ? [s.agent.executorId] : []));
  }

  /** Kills `amount` running machines (the busiest first); returns their executor ids. */
  async kill(amount: string): Promise<string[]> {
    const victims = this.pick(['up', 'partitioned'], amount);
    await Promise.all(victims.map(async (slot) => {
      const agent = slot.agent!;
      slot.state = 'killed';
      // Silent first, so the controller learns of the death only by the silence, as with a real crash.
      agent.setPartitioned(true);
      await agent.stop({ killWorkloads: false });
      await slot.behaviourDriver?.close();
    }));
    return victims.map((s) => s.agent!.executorId);
  }

  /** Cuts `amount` connected machines (the busiest first) off the network; returns their executor ids. */
  partition(amount: string): string[] {
    const victims = this.pick(['up'], amount);
    for (const slot of victims) {
      slot.state = 'partitioned';
      slot.agent!.setPartitioned(true);
    }
    return victims.map((s) => s.agent!.executorId);
  }

  /** Ends every partition; returns how many. */
  heal(): number {
    const cut = this.slots.filter((s) => s.state === 'partitioned');
    for (const slot of cut) {
      slot.state = 'up';
      slot.agent!.setPartitioned(false);
    }
    return cut.length;
  }

  /** Boots every killed machine again (empty, same identity); returns how many. */
  async revive(): Promise<number> {
    const dead = this.slots.filter((s) => s.state === 'killed');
    await Promise.all(dead.map((slot) => this.startSlot(slot)));
    return dead.length;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.slots.map(async (slot) => {
      if (slot.state === 'killed' || !slot.agent) return;
      await slot.agent.stop({ killWorkloads: false }).catch(() => undefined);
    }));
    if (this.dataRoot) await rm(this.dataRoot, { recursive: true, force: true });
  }

  private newSlot(index: number): Slot {
    const slot: Slot = {
      index,
      hostname: `${this.options.prefix}-${String(index + 1).padStart(4, '0')}`,
      identityKey: randomBytes(32).toString('base64url'),
      state: 'starting',
    };
    this.slots.push(slot);
    return slot;
  }

  /** The busiest machines first (the worst case to lose), then in fleet order. */
  private pick(states: SlotState[], amount: string): Slot[] {
    const n = parseAmount(amount, this.slots.length);
    const load = (s: Slot) => s.behaviourDriver?.size ?? 0;
    return this.slots.filter((s) => states.includes(s.state)).sort((a, b) => load(b) - load(a) || a.index - b.index).slice(0, n);
  }

  private async startSlot(slot: Slot): Promise<void> {
    const { options } = this;
    const i = slot.index;
    slot.state = 'starting';
    const driver = new MockDriver({ writeLogs: false, behaviour: options.behaviour });
    // Every 1/share-th machine is tagged, so the tagged ones are spread over racks and zones too.
    const share = options.taggedShare ?? 0.2;
    const tagged = options.tags.length > 0 && share > 0 && Math.floor((i + 1) * share) > Math.floor(i * share);
    const tags = tagged ? [options.tags[Math.floor(i * share) % options.tags.length]] : [];
    const rack = `rack-${(i % Math.max(1, options.racks)) + 1}`;
    slot.behaviourDriver = driver;
    slot.agent = await startExecutor({
      controllers: options.controllers,
      secret: options.secret,
      hostname: slot.hostname,
      port: 3000,
      name: slot.hostname,
      tags,
      labels: { zone: `zone-${(i % 3) + 1}`, sim: 'true' },
      rack,
      rackLabels: { row: `row-${Math.floor(i / 100) + 1}` },
      cores: options.cores,
      memoryMb: options.memoryMb,
      dataDir: path.join(this.dataRoot, slot.hostname),
      driver: 'mock',
      drivers: [driver],
      ephemeral: true,
      identityKey: slot.identityKey,
      logger: options.logger,
      // A thousand agents dialling at once after a controller restart must not stampede it.
      reconnect: { initialDelayMs: 500, maxDelayMs: 10_000 },
    });
    slot.state = 'up';
  }
}
