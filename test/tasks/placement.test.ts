/**
 * Placement against a real ResourceLedger. The executor registry is an in-memory double (a
 * list of LiveExecutor objects): placement only reads `list()`/`get()`, and a real registry
 * needs WebSocket executors, which the integration tests cover.
 */
import { describe, expect, it } from 'vitest';
import type { ExecutorRecord, ExecutorState } from '../../src/api/cluster-types.ts';
import type { ExecutableType, PlacementPolicy } from '../../src/api/spec-types.ts';
import type { LiveExecutor } from '../../src/controller/executors/live-executor.ts';
import { ResourceLedger } from '../../src/controller/scheduler/resource-ledger.ts';
import {
  capacityCheck, effectivePolicy, place, type PlacementDeps, type PlacementRequest,
} from '../../src/controller/scheduler/placement.ts';

interface Spec {
  id: string;
  tags?: string[];
  state?: ExecutorState;
  connected?: boolean;
  drivers?: ExecutableType[];
  cores?: Record<string, number[]>;
  memory?: Record<string, number>;
}

function cluster(specs: Spec[]): PlacementDeps & { ledger: ResourceLedger } {
  const ledger = new ResourceLedger();
  const executors = new Map<string, LiveExecutor>();
  for (const s of specs) {
    const layout = { cores: s.cores ?? { '0': [0, 1, 2, 3] }, memory: s.memory ?? { '0': 4096 } };
    const record: ExecutorRecord = {
      executorId: s.id, hostname: `${s.id}.host`, port: 3000, transportType: 'HTTP', name: s.id,
      tags: s.tags ?? [], labels: {}, layout, drivers: s.drivers ?? ['PROCESS'], version: 'test',
      executorState: s.state ?? 'ACTIVE', lastSeen: 0, updated: 0,
    };
    executors.set(s.id, { record, connected: s.connected ?? true, tasks: new Map() });
    ledger.setLayout(s.id, layout);
  }
  return { ledger, executors: { list: () => [...executors.values()], get: (id: string) => executors.get(id) } };
}

function request(overrides: Partial<PlacementRequest> = {}): PlacementRequest {
  return {
    policy: undefined, executableType: 'PROCESS', cores: 1, memoryMB: 128, groupKey: 'app',
    countsPerExecutor: new Map(), ...overrides,
  };
}

describe('effectivePolicy (implicit NO_TAG rule)', () => {
  it('adds NO_TAG to tag-unaware policies', () => {
    expect(effectivePolicy(undefined)).toEqual({ type: 'COMPOSITE', combiner: 'AND', policies: [{ type: 'ANY' }, { type: 'NO_TAG' }] });
    expect(effectivePolicy({ type: 'ONE_PER_HOST' })).toEqual({
      type: 'COMPOSITE', combiner: 'AND', policies: [{ type: 'ONE_PER_HOST' }, { type: 'NO_TAG' }],
    });
  });
  it('keeps tag-aware policies as they are, at any depth', () => {
    const match: PlacementPolicy = { type: 'MATCH_TAG', tag: 'gpu' };
    expect(effectivePolicy(match)).toBe(match);
    const nested: PlacementPolicy = {
      type: 'COMPOSITE', combiner: 'AND',
      policies: [{ type: 'ONE_PER_HOST' }, { type: 'COMPOSITE', combiner: 'OR', policies: [match] }],
    };
    expect(effectivePolicy(nested)).toBe(nested);
  });
});

describe('place', () => {
  it('never puts untagged-policy work on tagged executors, and MATCH_TAG only on them', () => {
    const deps = cluster([{ id: 'plain' }, { id: 'gpu', tags: ['gpu'] }]);
    for (let i = 0; i < 3; i++) {
      const r = place(deps, request(), `t${i}`);
      expect(r).toMatchObject({ executorId: 'plain' });
    }
    expect(place(deps, request({ policy: { type: 'MATCH_TAG', tag: 'gpu' } }), 'g')).toMatchObject({ executorId: 'gpu' });
    // a hostname is a tag: pin to a host
    expect(place(deps, request({ policy: { type: 'MATCH_TAG', tag: 'plain.host' } }), 'h')).toMatchObject({ executorId: 'plain' });
    expect(place(deps, request({ policy: { type: 'MATCH_TAG', tag: 'nope' } }), 'x')).toEqual({
      error: 'no ACTIVE executor with the PROCESS driver satisfies the placement policy MATCH_TAG(nope)',
    });
  });

  it('takes cores and memory from one NUMA node and spreads to the least allocated executor', () => {
    const deps = cluster([
      { id: 'e1', cores: { '0': [0, 1], '1': [2, 3] }, memory: { '0': 1000, '1': 1000 } },
      { id: 'e2', cores: { '0': [0, 1, 2, 3] }, memory: { '0': 2000 } },
    ]);
    const first = place(deps, request({ cores: 2, memoryMB: 500 }), 'a');
    expect(first).toMatchObject({ executorId: 'e1' }); // tie on shares → lowest id
    if ('error' in first) throw new Error(first.error);
    expect(first.allocation.cores).toHaveLength(2);
    expect(['0', '1']).toContain(first.allocation.numaNode);
    expect(place(deps, request({ cores: 2, memoryMB: 500 }), 'b')).toMatchObject({ executorId: 'e2' });
    // e1 has one node with 2 cores left, e2 has 2 of 4 left: 3 cores fit nowhere on one node
    expect(place(deps, request({ cores: 3, memoryMB: 10 }), 'c')).toMatchObject({ error: expect.stringContaining('not enough free resources') });
    deps.ledger.release('a');
    expect(place(deps, request({ cores: 2, memoryMB: 10 }), 'd')).toMatchObject({ executorId: 'e1' });
  });

  it('applies ONE_PER_HOST and MAX_N_PER_HOST with the group counts', () => {
    const deps = cluster([{ id: 'e1' }, { id: 'e2' }]);
    const counts = new Map([['e1', 1]]);
    expect(place(deps, request({ policy: { type: 'ONE_PER_HOST' }, countsPerExecutor: counts }), 'a')).toMatchObject({ executorId: 'e2' });
    counts.set('e2', 1);
    expect(place(deps, request({ policy: { type: 'ONE_PER_HOST' }, countsPerExecutor: counts }), 'b')).toMatchObject({
      error: expect.stringContaining('placement policy COMPOSITE(AND)[ONE_PER_HOST, NO_TAG]'),
    });
    expect(place(deps, request({ policy: { type: 'MAX_N_PER_HOST', max: 2 }, countsPerExecutor: counts }), 'c')).toHaveProperty('executorId');
    counts.set('e1', 2).set('e2', 2);
    expect(place(deps, request({ policy: { type: 'MAX_N_PER_HOST', max: 2 }, countsPerExecutor: counts }), 'd')).toHaveProperty('error');
  });

  it('combines COMPOSITE policies with AND and OR', () => {
    const deps = cluster([{ id: 'e1', tags: ['gpu'] }, { id: 'e2', tags: ['ssd'] }, { id: 'e3' }]);
    const or: PlacementPolicy = { type: 'COMPOSITE', combiner: 'OR', policies: [{ type: 'MATCH_TAG', tag: 'gpu' }, { type: 'MATCH_TAG', tag: 'ssd' }] };
    const chosen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = place(deps, request({ policy: or }), `o${i}`);
      if ('error' in r) throw new Error(r.error);
      chosen.add(r.executorId);
    }
    expect([...chosen].sort()).toEqual(['e1', 'e2']);
    const and: PlacementPolicy = { type: 'COMPOSITE', combiner: 'AND', policies: [{ type: 'ONE_PER_HOST' }, { type: 'MATCH_TAG', tag: 'gpu' }] };
    expect(place(deps, request({ policy: and }), 'x')).toMatchObject({ executorId: 'e1' });
    expect(place(deps, request({ policy: and, countsPerExecutor: new Map([['e1', 1]]) }), 'y')).toHaveProperty('error');
  });

  it('uses only ACTIVE, connected executors with the driver, and honours pinning', () => {
    const deps = cluster([
      { id: 'black', state: 'BLACKLISTED' }, { id: 'gone', connected: false }, { id: 'docker', drivers: ['DOCKER'] }, { id: 'ok' },
    ]);
    expect(place(deps, request(), 'a')).toMatchObject({ executorId: 'ok' });
    expect(place(deps, request({ executableType: 'DOCKER' }), 'b')).toMatchObject({ executorId: 'docker' });
    const only = cluster([{ id: 'docker', drivers: ['DOCKER'] }]);
    expect(place(only, request(), 'c')).toEqual({ error: 'no ACTIVE executor has the PROCESS driver' });
    const none = cluster([{ id: 'black', state: 'BLACKLISTED' }]);
    expect(place(none, request(), 'd')).toEqual({ error: 'no executor is ACTIVE and connected' });
    expect(place(deps, request({ onlyExecutors: new Set(['black']) }), 'e')).toHaveProperty('error');
    // pinning bypasses nothing else, but it does select a tagged executor when the policy allows it
    const tagged = cluster([{ id: 't', tags: ['x'] }, { id: 'u' }]);
    expect(place(tagged, request({ policy: { type: 'ANY' }, onlyExecutors: new Set(['u']) }), 'f')).toMatchObject({ executorId: 'u' });
  });
});

describe('capacityCheck (§2.3.9)', () => {
  it('sums free resources over eligible executors and checks the biggest NUMA node', () => {
    const deps = cluster([
      { id: 'e1', cores: { '0': [0, 1], '1': [2, 3] }, memory: { '0': 1000, '1': 1000 } },
      { id: 'tagged', tags: ['gpu'], cores: { '0': [0, 1, 2, 3, 4, 5, 6, 7] }, memory: { '0': 9000 } },
      { id: 'black', state: 'BLACKLISTED' },
    ]);
    expect(capacityCheck(deps, request({ cores: 2, memoryMB: 500 }), 2)).toEqual([]);
    expect(capacityCheck(deps, request({ cores: 3, memoryMB: 1500 }), 2)).toEqual([
      'Cluster does not have enough CPU. Required: 6 Available: 4',
      'Cluster does not have enough Memory. Required: 3000 Available: 2000',
      'Required cores exceeds the maximum core available on a single NUMA node in the cluster. Required: 3 Max: 2',
    ]);
    // MATCH_TAG sees the tagged executor only
    expect(capacityCheck(deps, request({ cores: 8, memoryMB: 9000, policy: { type: 'MATCH_TAG', tag: 'gpu' } }), 1)).toEqual([]);
    // per-host limits are ignored
    expect(capacityCheck(deps, request({ policy: { type: 'ONE_PER_HOST' }, countsPerExecutor: new Map([['e1', 5]]) }), 1)).toEqual([]);
    // used resources are not free
    deps.ledger.allocate('x', 'e1', 2, 1000);
    expect(capacityCheck(deps, request({ cores: 3, memoryMB: 10 }), 1)).toEqual([
      'Cluster does not have enough CPU. Required: 3 Available: 2',
      'Required cores exceeds the maximum core available on a single NUMA node in the cluster. Required: 3 Max: 2',
    ]);
    expect(capacityCheck(cluster([]), request(), 1)).toEqual([
      'Cluster does not have enough CPU. Required: 1 Available: 0',
      'Cluster does not have enough Memory. Required: 128 Available: 0',
      'Required cores exceeds the maximum core available on a single NUMA node in the cluster. Required: 1 Max: 0',
    ]);
  });
});
