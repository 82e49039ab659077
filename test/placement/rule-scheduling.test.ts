/**
 * What a RULE_BASED rule sees during placement (allExecutorMetadata = executors already holding
 * the deployment) and how the capacity check treats it (eligible everywhere, not evaluated).
 * The executor registry is an in-memory double (placement only reads `list()`/`get()`); the
 * integration test rule-placement.test.ts runs the same against real executors.
 */
import { describe, expect, it } from 'vitest';
import type { ExecutorRecord } from '../../src/api/cluster-types.ts';
import type { PlacementPolicy } from '../../src/api/spec-types.ts';
import type { LiveExecutor } from '../../src/controller/executors/live-executor.ts';
import { capacityCheck, effectivePolicy, place, type PlacementDeps, type PlacementRequest } from '../../src/controller/scheduler/placement.ts';
import { ResourceLedger } from '../../src/controller/scheduler/resource-ledger.ts';

function cluster(labels: Record<string, Record<string, string>>, tags: Record<string, string[]> = {}): PlacementDeps {
  const ledger = new ResourceLedger();
  const executors = new Map<string, LiveExecutor>();
  for (const [id, metadata] of Object.entries(labels)) {
    const layout = { cores: { '0': [0, 1, 2, 3] }, memory: { '0': 4096 } };
    const record: ExecutorRecord = {
      executorId: id, hostname: `${id}.host`, port: 3000, transportType: 'HTTP', name: id, tags: tags[id] ?? [], labels: metadata,
      layout, drivers: ['PROCESS'], version: 'test', executorState: 'ACTIVE', lastSeen: 0, updated: 0,
    };
    executors.set(id, { record, connected: true, tasks: new Map() });
    ledger.setLayout(id, layout);
  }
  return { ledger, executors: { list: () => [...executors.values()], get: (id: string) => executors.get(id) } };
}

const rule = (text: string): PlacementPolicy => ({ type: 'RULE_BASED', ruleType: 'HOPE', rule: text });
const request = (policy: PlacementPolicy, counts: [string, number][] = [], environment?: Record<string, string>): PlacementRequest => ({
  policy, executableType: 'PROCESS', cores: 1, memoryMB: 128, groupKey: 'app-1', countsPerExecutor: new Map(counts), environment,
});

describe('RULE_BASED in the scheduler', () => {
  it('shows the rule the metadata of executors already holding the deployment only', () => {
    const deps = cluster({ e1: { zone: 'z1' }, e2: { zone: 'z2' }, e3: { zone: 'z3' } });
    // spread away from e1, which holds an instance: e1's metadata is visible, e3's is not
    const policy = rule('"/allExecutorMetadata/e1/zone" == "z1" && pointer.exists("/allExecutorMetadata/e3") == false && "/executorNodeId" != "e1"');
    const placed = place(deps, request(policy, [['e1', 1], ['e3', 0]]), 'i1');
    expect(placed).toMatchObject({ executorId: 'e2' });
    // with nothing deployed, /allExecutorMetadata/e1 is missing: every candidate errors and the message says why
    const none = place(deps, request(policy), 'i2');
    expect(none).toEqual({ error: expect.stringMatching(/satisfies the placement policy RULE_BASED\(.*\) \(the rule failed on e\d: Missing value at path: \/allExecutorMetadata\/e1\/zone\)$/) });
  });

  it('follows an executor\'s new metadata (remembered outcomes go with the record they were computed from)', () => {
    const deps = cluster({ e1: { zone: 'z1' }, e2: { zone: 'z2' } });
    const policy = rule('"/allocatedExecutorNodeMetadata/zone" == "z2"');
    expect(place(deps, request(policy), 'a')).toMatchObject({ executorId: 'e2' });
    expect(place(deps, request(policy), 'b')).toMatchObject({ executorId: 'e2' });
    // the executor reconnects with other labels: the registry replaces its record
    const live = deps.executors.get('e2')!;
    live.record = { ...live.record, labels: { zone: 'z3' } };
    expect(place(deps, request(policy), 'c')).toEqual({ error: expect.stringContaining('satisfies the placement policy RULE_BASED') });
    // another environment is another question
    const byEnv = rule('"/applicationEnvironment/ZONE" == "/allocatedExecutorNodeMetadata/zone"');
    expect(place(deps, request(byEnv, [], { ZONE: 'z1' }), 'd')).toMatchObject({ executorId: 'e1' });
    expect(place(deps, request(byEnv, [], { ZONE: 'z3' }), 'e')).toMatchObject({ executorId: 'e2' });
  });

  it('reads the spec env as /applicationEnvironment', () => {
    const deps = cluster({ e1: { zone: 'z1' }, e2: { zone: 'z2' } });
    expect(place(deps, request(rule('"/applicationEnvironment/ZONE" == "/allocatedExecutorNodeMetadata/zone"'), [], { ZONE: 'z2' }), 'i')).toMatchObject({ executorId: 'e2' });
  });

  it('keeps tagged executors eligible (no implicit NO_TAG) and counts every executor as eligible in the capacity check', () => {
    const deps = cluster({ e1: { zone: 'z1' }, e2: { zone: 'z2' } }, { e2: ['gpu'] });
    const policy = rule('"/allocatedExecutorNodeMetadata/zone" == "z2"');
    expect(effectivePolicy(policy)).toBe(policy);
    expect(place(deps, request(policy), 'i')).toMatchObject({ executorId: 'e2' });
    // 8 cores in the cluster, the rule not evaluated: a request for 7 passes (placement decides later)
    deps.ledger.release('i');
    expect(capacityCheck(deps, request(policy), 7)).toEqual([]);
    expect(capacityCheck(deps, request(policy), 9)).toEqual(['Cluster does not have enough CPU. Required: 9 Available: 8']);
    // AND with a tag still narrows the capacity check to the tagged executor
    const tagged: PlacementPolicy = { type: 'COMPOSITE', combiner: 'AND', policies: [policy, { type: 'MATCH_TAG', tag: 'gpu' }] };
    expect(capacityCheck(deps, request(tagged), 5)).toEqual(['Cluster does not have enough CPU. Required: 5 Available: 4']);
  });
});
