/**
 * Placement without a scan of the whole fleet per workload. Placing one instance scores every
 * executor (placement.ts); a 10,000-instance scale over 1,000 executors did that 10,000 times —
 * ten million checks, a fifth of the controller's CPU. This cache keeps, per kind of request
 * (group, driver, resources, policy), a heap of the candidates of the last scan keyed by their
 * score, and picks from it in O(log n):
 *
 *   place(request) ──▶ entry for the request's key still valid? ──no──▶ scan, build the heap
 *        │ yes
 *        ▼
 *   top of the heap: still schedulable, allowed and fitting? ──no──▶ drop it, next
 *        │ yes
 *   its score now == the score it is keyed by? ──no (it got fuller)──▶ re-key it, next
 *        │ yes
 *        ▼
 *   allocate there
 *
 * Why it picks exactly what a scan would: an executor's score (free-core share, free-memory
 * share, fewest of the group) only falls while nothing is released and no executor joins, so a
 * stored key is an upper bound of the executor's score now, and a top whose key is exact beats
 * every other. An entry is valid only while that holds: the ledger's `generation` (bumped by
 * every release and layout change) and the registry's (bumped when an executor connects or
 * changes state) are what they were at the scan. Requests the bound does not hold for are not
 * cached: pinned executors (node filters) and RULE_BASED policies, whose rules read where the
 * group's other workloads are.
 */
import type { PlacementPolicy } from '../../api/spec-types.ts';
import type { Allocation } from '../../api/resource-types.ts';
import type { LiveExecutor } from '../executors/live-executor.ts';
import type { ResourceLedger } from './resource-ledger.ts';

/** Higher is better, compared left to right; ties go to the smaller executor id. */
export type CandidateScore = readonly [freeCoreShare: number, freeMemoryShare: number, fewerOfGroup: number];

export interface Candidate {
  executorId: string;
  score: CandidateScore;
}

/** What the cache needs of placement: the same checks a scan makes. */
export interface CandidateChecks {
  executors: { get(executorId: string): LiveExecutor | undefined; generation?(): number };
  ledger: ResourceLedger;
  /** Schedulable, has the driver, passes the policy with the group's current count there. */
  eligible(executor: LiveExecutor): boolean;
  /** The executor's score now, or undefined when the request does not fit on it. */
  scoreOf(executorId: string): CandidateScore | undefined;
  /** Every executor a scan finds eligible and fitting, with its score. */
  scan(): Candidate[];
}

interface Entry {
  heap: CandidateHeap;
  ledgerGeneration: number;
  registryGeneration: number;
}

const MAX_ENTRIES = 256;

export class CandidateCache {
  private readonly entries = new Map<string, Entry>();

  /**
   * Places from the cached candidates of `key`; undefined when none of them can take it (the
   * caller then scans, which also words the error). Not for pinned or RULE_BASED requests.
   */
  place(key: string, checks: CandidateChecks, cores: number, memoryMB: number, ownerId: string): { executorId: string; allocation: Allocation } | undefined {
    const registryGeneration = checks.executors.generation?.();
    if (registryGeneration === undefined) return undefined;
    let entry = this.entries.get(key);
    if (!entry || entry.ledgerGeneration !== checks.ledger.generation || entry.registryGeneration !== registryGeneration) {
      entry = { heap: new CandidateHeap(checks.scan()), ledgerGeneration: checks.ledger.generation, registryGeneration };
      this.entries.delete(key);
      this.entries.set(key, entry);
      if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    }
    const heap = entry.heap;
    for (let top = heap.peek(); top; top = heap.peek()) {
      const executor = checks.executors.get(top.executorId);
      const score = executor && checks.eligible(executor) ? checks.scoreOf(top.executorId) : undefined;
      if (!score) {
        heap.pop();
        continue;
      }
      if (compareScores(score, top.score) !== 0) {
        heap.pop();
        heap.push({ executorId: top.executorId, score });
        continue;
      }
      const allocation = checks.ledger.allocate(ownerId, top.executorId, cores, memoryMB);
      if (!allocation) {
        heap.pop();
        continue;
      }
      // Allocating never bumps the ledger's generation: the entry stays valid, its key an upper bound.
      return { executorId: top.executorId, allocation };
    }
    this.entries.delete(key);
    return undefined;
  }
}

/** The cache key of a request: what decides which executors are candidates and how they score. */
export function candidateKey(groupKey: string, executableType: string, cores: number, memoryMB: number, policy: PlacementPolicy, explicitNodes: boolean): string {
  return `${groupKey}\u0000${executableType}\u0000${cores}\u0000${memoryMB}\u0000${explicitNodes ? 1 : 0}\u0000${JSON.stringify(policy)}`;
}

/** Negative when `a` is worse than `b`, positive when better, 0 when equal. */
export function compareScores(a: CandidateScore, b: CandidateScore): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i] ? 1 : -1;
  return 0;
}

/** Whether candidate `a` goes before `b`: the better score, then the smaller id. */
export function ranksBefore(a: Candidate, b: Candidate): boolean {
  const byScore = compareScores(a.score, b.score);
  return byScore !== 0 ? byScore > 0 : a.executorId < b.executorId;
}

/** A binary max-heap of candidates by `ranksBefore`. */
class CandidateHeap {
  private readonly items: Candidate[];

  constructor(items: Candidate[]) {
    this.items = items;
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  peek(): Candidate | undefined {
    return this.items[0];
  }

  pop(): void {
    const last = this.items.pop();
    if (last && this.items.length > 0) {
      this.items[0] = last;
      this.down(0);
    }
  }

  push(item: Candidate): void {
    const items = this.items;
    items.push(item);
    for (let i = items.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!ranksBefore(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  private down(start: number): void {
    const items = this.items;
    for (let i = start; ;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let first = i;
      if (left < items.length && ranksBefore(items[left], items[first])) first = left;
      if (right < items.length && ranksBefore(items[right], items[first])) first = right;
      if (first === i) return;
      [items[i], items[first]] = [items[first], items[i]];
      i = first;
    }
  }
}
