/**
 * The capacity index answers the capacity check (docs/api.md §2.3.9) exactly as a scan of the
 * fleet does — the same messages, figures included — and the cluster summary's connected totals
 * as a loop over the connected executors. One cluster (a real ResourceLedger) takes a random
 * sequence of allocations, releases, state changes, disconnects, losses, new layouts and
 * removals; after each, every policy and request is checked both ways. The registry is an
 * in-memory double that bumps its view generation where the real one does (every change of an
 * executor's record or connection, joins and removals).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ExecutorRecord } from '../../src/api/cluster-types.ts';
import type { ResourceLayout } from '../../src/api/resource-types.ts';
import type { PlacementPolicy } from '../../src/api/spec-types.ts';
import type { LiveExecutor } from '../../src/controller/executors/live-executor.ts';
import { CapacityIndex } from '../../src/controller/scheduler/capacity-index.ts';
import { capacityCheck, type PlacementDeps, type PlacementRequest } from '../../src/controller/scheduler/placement.ts';
import { ResourceLedger } from '../../src/controller/scheduler/resource-ledger.ts';

const EXECUTORS = 10;
const POLICIES: (PlacementPolicy | undefined)[] = [undefined, { type: 'ONE_PER_HOST' }, { type: 'MATCH_TAG', tag: 'gpu' }, { type: 'ANY' }];

function layoutFor(i: number, grown: boolean): ResourceLayout {
  const extra = grown ? 3 : 0;
  return i % 3 === 0
    ? { cores: { '0': [0, 1, 2], '1': Array.from({ length: 3 + extra }, (_, c) => 3 + c) }, memory: { '0': 2048, '1': 2048 } }
    : { cores: { '0': Array.from({ length: 2 + (i % 4) + extra }, (_, c) => c) }, memory: { '0': 1024 * (1 + (i % 2)) } };
}

class World {
  readonly ledger = new ResourceLedger();
  readonly executors = new Map<string, LiveExecutor>();
  private view = 0;
  readonly index: CapacityIndex;
  readonly indexed: PlacementDeps;
  readonly scanned: PlacementDeps;
  private owners: string[] = [];
  private nextOwner = 0;

  constructor() {
    for (let i = 0; i < EXECUTORS; i++) this.join(i);
    const registry = { list: () => [...this.executors.values()], get: (id: string) => this.executors.get(id), viewGeneration: () => this.view };
    this.index = new CapacityIndex(registry, this.ledger);
    this.indexed = { executors: registry, ledger: this.ledger, capacity: this.index };
    this.scanned = { executors: registry, ledger: this.ledger };
  }

  join(i: number): void {
    const id = `e${i}`;
    const layout = layoutFor(i, false);
    const record: ExecutorRecord = {
      executorId: id, hostname: `${id}.host`, port: 3000, transportType: 'HTTP', name: id,
      tags: i % 4 === 1 ? ['gpu'] : [], labels: {}, layout, drivers: ['PROCESS'], version: 'test',
      executorState: 'ACTIVE', lastSeen: 0, updated: 0,
    };
    this.executors.set(id, { record, connected: true, tasks: new Map() });
    this.view++;
    this.ledger.setLayout(id, layout);
  }

  allocate(i: number, cores: number, memoryMB: number): void {
    const owner = `w${this.nextOwner++}`;
    if (this.ledger.allocate(owner, `e${i}`, cores, memoryMB)) this.owners.push(owner);
  }

  release(pick: number): void {
    if (this.owners.length === 0) return;
    const [owner] = this.owners.splice(pick % this.owners.length, 1);
    this.ledger.release(owner);
  }

  change(i: number, how: 'state' | 'connection' | 'lost' | 'layout' | 'remove'): void {
    const id = `e${i}`;
    const executor = this.executors.get(id);
    if (!executor) {
      this.join(i);
      return;
    }
    if (how === 'state') executor.record = { ...executor.record, executorState: executor.record.executorState === 'ACTIVE' ? 'BLACKLISTED' : 'ACTIVE' };
    if (how === 'connection') executor.connected = !executor.connected;
    if (how === 'lost') executor.record = executor.record.lostAt === undefined ? { ...executor.record, lostAt: 1 } : { ...executor.record, lostAt: undefined };
    if (how === 'remove') this.executors.delete(id);
    if (how !== 'layout') this.view++;
    if (how === 'layout') this.ledger.setLayout(id, layoutFor(i, Object.values(this.ledger.usage(id).freeCoresByNode).flat().length < 6));
    if (how === 'remove') this.ledger.removeExecutor(id);
  }

  /** Every policy and a spread of requests: the index's messages equal the scan's. */
  check(): void {
    for (const policy of POLICIES) {
      for (const [cores, memoryMB, count] of [[1, 64, 1], [3, 512, 1], [4, 256, 3], [7, 64, 1], [1, 4096, 1], [2, 128, 20]] as const) {
        const request: PlacementRequest = { policy, executableType: 'PROCESS', cores, memoryMB, groupKey: 'g', countsPerExecutor: new Map() };
        expect(capacityCheck(this.indexed, request, count)).toEqual(capacityCheck(this.scanned, request, count));
      }
    }
    const connected = { executors: 0, freeCores: 0, totalCores: 0, freeMemory: 0, totalMemory: 0, maxNodeCores: 0 };
    for (const executor of this.executors.values()) {
      if (!executor.connected) continue;
      const capacity = this.ledger.capacity(executor.record.executorId);
      connected.executors++;
      connected.freeCores += capacity.freeCores;
      connected.totalCores += capacity.totalCores;
      connected.freeMemory += capacity.freeMemory;
      connected.totalMemory += capacity.totalMemory;
      connected.maxNodeCores = Math.max(connected.maxNodeCores, this.ledger.largestNodeCores(executor.record.executorId));
    }
    expect(this.index.connected()).toEqual(connected);
  }
}

type Command =
  | { kind: 'allocate'; executor: number; cores: number; memoryMB: number }
  | { kind: 'release'; pick: number }
  | { kind: 'state' | 'connection' | 'lost' | 'layout' | 'remove'; executor: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('allocate' as const), executor: fc.nat(EXECUTORS - 1), cores: fc.integer({ min: 1, max: 3 }), memoryMB: fc.constantFrom(64, 256, 900) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('state' as const, 'connection' as const, 'lost' as const, 'layout' as const, 'remove' as const), executor: fc.nat(EXECUTORS - 1) }) },
);

describe('the capacity index', () => {
  it('gives the capacity check the scan\'s answers and the summary the connected totals, through every kind of change', () => {
    fc.assert(fc.property(fc.array(command, { minLength: 1, maxLength: 120 }), (commands) => {
      const world = new World();
      world.check();
      for (const c of commands) {
        if (c.kind === 'allocate') world.allocate(c.executor, c.cores, c.memoryMB);
        else if (c.kind === 'release') world.release(c.pick);
        else world.change(c.executor, c.kind);
        world.check();
      }
    }), { numRuns: 200 });
  });

  it('words a full cluster\'s rejection with the scan\'s figures', () => {
    const world = new World();
    for (let i = 0; i < EXECUTORS; i++) while (world.ledger.canFit(`e${i}`, 1, 1)) world.allocate(i, 1, 1);
    const request: PlacementRequest = { policy: undefined, executableType: 'PROCESS', cores: 1, memoryMB: 64, groupKey: 'g', countsPerExecutor: new Map() };
    const messages = capacityCheck(world.indexed, request, 1);
    expect(messages[0]).toBe('Cluster does not have enough CPU. Required: 1 Available: 0');
    expect(messages).toEqual(capacityCheck(world.scanned, request, 1));
  });
});
