/**
 * The resource ledger's per-executor owner index (src/controller/scheduler/resource-ledger.ts):
 * through a random sequence of allocations, claims that move an owner, releases and executors
 * re-registering their layout, `holders` (the executor details' core map) and `usage` say exactly
 * what a model of every live allocation says.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Allocation } from '../../src/api/resource-types.ts';
import { ResourceLedger } from '../../src/controller/scheduler/resource-ledger.ts';

const EXECUTORS = ['e-0', 'e-1', 'e-2'];
const LAYOUT = { cores: { 0: [0, 1, 2, 3], 1: [4, 5, 6, 7] }, memory: { 0: 4096, 1: 4096 } };

type Step =
  | { kind: 'allocate'; owner: number; executor: number; cores: number }
  | { kind: 'release'; owner: number }
  | { kind: 'relayout'; executor: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('allocate' as const), owner: fc.nat(11), executor: fc.nat(2), cores: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('release' as const), owner: fc.nat(11) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('relayout' as const), executor: fc.nat(2) }) },
);

describe('ResourceLedger owner index', () => {
  it('holders and usage match every live allocation, through allocations, moves, releases and re-registration', () => {
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 80 }), (steps) => {
      const ledger = new ResourceLedger();
      for (const id of EXECUTORS) ledger.setLayout(id, LAYOUT);
      const live = new Map<string, { executorId: string; allocation: Allocation }>();
      for (const s of steps) {
        if (s.kind === 'allocate') {
          const owner = `o-${s.owner}`;
          // A claim for an owner that holds resources elsewhere moves it (release, then take).
          if (live.has(owner)) {
            ledger.release(owner);
            live.delete(owner);
          }
          const allocation = ledger.allocate(owner, EXECUTORS[s.executor], s.cores, 256);
          if (allocation) live.set(owner, { executorId: EXECUTORS[s.executor], allocation });
        } else if (s.kind === 'release') {
          ledger.release(`o-${s.owner}`);
          live.delete(`o-${s.owner}`);
        } else {
          ledger.setLayout(EXECUTORS[s.executor], LAYOUT);
        }
      }
      for (const executorId of EXECUTORS) {
        const expected = [...live].filter(([, held]) => held.executorId === executorId)
          .flatMap(([ownerId, held]) => held.allocation.cores.map((core) => ({ numaNode: held.allocation.numaNode, core, ownerId })))
          .sort((a, b) => a.numaNode.localeCompare(b.numaNode) || a.core - b.core);
        expect(ledger.holders(executorId)).toEqual(expected);
        const usage = ledger.usage(executorId);
        expect(usage.usedCores).toBe(expected.length);
        expect(usage.freeCores).toBe(8 - expected.length);
        const capacity = ledger.capacity(executorId);
        expect(capacity.totalCores - capacity.freeCores).toBe(expected.length);
      }
    }), { numRuns: 300 });
  });
});
