/**
 * The candidate cache picks exactly what a scan of the fleet picks. Two copies of one cluster
 * (real ResourceLedgers) take the same random sequence of placements, releases, state changes
 * and reconnects; one places through the cache, the other scans every time; every placement
 * must land on the same executor with the same cores. The executor registry is an in-memory
 * double (placement reads list/get/generation only; the real registry needs WebSocket
 * executors, which the integration tests and bench/placement.ts cover).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ExecutorRecord } from '../../src/api/cluster-types.ts';
import type { ResourceLayout } from '../../src/api/resource-types.ts';
import type { PlacementPolicy } from '../../src/api/spec-types.ts';
import type { LiveExecutor } from '../../src/controller/executors/live-executor.ts';
import { CandidateCache } from '../../src/controller/scheduler/candidate-cache.ts';
import { place, type PlacementDeps, type PlacementRequest } from '../../src/controller/scheduler/placement.ts';
import { ResourceLedger } from '../../src/controller/scheduler/resource-ledger.ts';

const EXECUTORS = 12;
const POLICIES: (PlacementPolicy | undefined)[] = [undefined, { type: 'ONE_PER_HOST' }, { type: 'MAX_N_PER_HOST', max: 2 }, { type: 'MATCH_TAG', tag: 'gpu' }];

/** One copy of the cluster: ledger, executors, per-group counts and what is placed. */
class World {
  readonly ledger = new ResourceLedger();
  readonly executors = new Map<string, LiveExecutor>();
  readonly counts = new Map<string, Map<string, number>>();
  readonly owners = new Map<string, { group: string; executorId: string }>();
  private generation = 0;
  readonly deps: PlacementDeps;

  constructor(cached: boolean) {
    for (let i = 0; i < EXECUTORS; i++) {
      const id = `e${String(i).padStart(2, '0')}`;
      // Uneven sizes so that shares differ; two NUMA nodes on some.
      const layout: ResourceLayout = i % 3 === 0
        ? { cores: { '0': [0, 1, 2], '1': [3, 4, 5] }, memory: { '0': 2048, '1': 2048 } }
        : { cores: { '0': Array.from({ length: 2 + (i % 4) }, (_, c) => c) }, memory: { '0': 1024 * (1 + (i % 2)) } };
      const record: ExecutorRecord = {
        executorId: id, hostname: `${id}.host`, port: 3000, transportType: 'HTTP', name: id,
        tags: i % 4 === 1 ? ['gpu'] : [], labels: {}, layout, drivers: ['PROCESS'], version: 'test',
        executorState: 'ACTIVE', lastSeen: 0, updated: 0,
      };
      this.executors.set(id, { record, connected: true, tasks: new Map() });
      this.ledger.setLayout(id, layout);
    }
    this.deps = {
      ledger: this.ledger,
      executors: { list: () => [...this.executors.values()], get: (id: string) => this.executors.get(id), generation: () => this.generation },
      ...(cached ? { candidates: new CandidateCache() } : {}),
    };
  }

  place(owner: string, group: string, cores: number, memoryMB: number, policy: PlacementPolicy | undefined): string {
    const countsPerExecutor = this.counts.get(group) ?? new Map<string, number>();
    this.counts.set(group, countsPerExecutor);
    const request: PlacementRequest = { policy, executableType: 'PROCESS', cores, memoryMB, groupKey: group, countsPerExecutor };
    const result = place(this.deps, request, owner);
    if ('error' in result) return `error: ${result.error}`;
    countsPerExecutor.set(result.executorId, (countsPerExecutor.get(result.executorId) ?? 0) + 1);
    this.owners.set(owner, { group, executorId: result.executorId });
    return `${result.executorId} node ${result.allocation.numaNode} cores ${result.allocation.cores.join(',')}`;
  }

  release(owner: string): void {
    const owned = this.owners.get(owner);
    if (!owned) return;
    this.owners.delete(owner);
    const counts = this.counts.get(owned.group)!;
    counts.set(owned.executorId, counts.get(owned.executorId)! - 1);
    this.ledger.release(owner);
  }

  /** As the real registry: a state change and a reconnect bump the generation; a disconnect does not. */
  toggleState(id: string): void {
    const executor = this.executors.get(id)!;
    executor.record = { ...executor.record, executorState: executor.record.executorState === 'ACTIVE' ? 'BLACKLISTED' : 'ACTIVE' };
    this.generation++;
  }

  toggleConnection(id: string): void {
    const executor = this.executors.get(id)!;
    executor.connected = !executor.connected;
    if (executor.connected) this.generation++;
  }
}

type Command =
  | { kind: 'place'; group: number; cores: number; memoryMB: number; policy: number }
  | { kind: 'release'; pick: number }
  | { kind: 'state' | 'connection'; executor: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('place' as const), group: fc.nat(2), cores: fc.integer({ min: 1, max: 3 }), memoryMB: fc.constantFrom(64, 256, 900), policy: fc.nat(POLICIES.length - 1) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('state' as const, 'connection' as const), executor: fc.nat(EXECUTORS - 1) }) },
);

describe('the placement candidate cache', () => {
  it('places every workload where a scan of the fleet would, through releases, state changes and reconnects', () => {
    fc.assert(fc.property(fc.array(command, { minLength: 1, maxLength: 150 }), (commands) => {
      const cached = new World(true);
      const scanned = new World(false);
      let next = 0;
      for (const c of commands) {
        if (c.kind === 'place') {
          const owner = `w${next++}`;
          const args = [owner, `g${c.group}`, c.cores, c.memoryMB, POLICIES[c.policy]] as const;
          expect(cached.place(...args)).toBe(scanned.place(...args));
        } else if (c.kind === 'release') {
          const owners = [...scanned.owners.keys()];
          if (owners.length === 0) continue;
          const owner = owners[c.pick % owners.length];
          cached.release(owner);
          scanned.release(owner);
        } else {
          const id = `e${String(c.executor).padStart(2, '0')}`;
          for (const world of [cached, scanned]) {
            if (c.kind === 'state') world.toggleState(id);
            else world.toggleConnection(id);
          }
        }
      }
    }), { numRuns: 300 });
  });

  it('fills a fleet to the last core and then reports the scan\'s error', () => {
    const world = new World(true);
    const reference = new World(false);
    const totalCores = [...world.executors.values()].filter((e) => e.record.tags.length === 0)
      .reduce((sum, e) => sum + Object.values(e.record.layout.cores).flat().length, 0);
    for (let i = 0; i < totalCores; i++) expect(world.place(`w${i}`, 'g', 1, 1, undefined)).toBe(reference.place(`w${i}`, 'g', 1, 1, undefined));
    const last = world.place('one-more', 'g', 1, 1, undefined);
    expect(last).toMatch(/^error: not enough free resources/);
    expect(last).toBe(reference.place('one-more', 'g', 1, 1, undefined));
  });
});
