/**
 * Sums of executors' free and total resources without a scan of the fleet per request: the
 * capacity check's (docs/api.md §2.3.9) and the cluster summary's (§4.2). A task CREATE asks
 * whether the executors its policy allows have, summed, the cores and memory it needs, and a
 * NUMA node as big as it; scanning a thousand executors for that was a few percent of the
 * controller under a stream of CREATEs, and the summary's loop over every connected executor a
 * tenth of it under reads. This index keeps, per policy (and for the connected
 * executors), the executors that count with their figures and the sums over them:
 *
 *   totals(policy), connected() ──▶ entry built at the registry's current view generation?
 *        │ yes                                     └──no──▶ scan the fleet once, build the entry
 *        ▼
 *   the sums, kept exact since: every ledger change on a member (allocate, release, layout)
 *   replaces that member's figures in the sums
 *
 * Which executors count depends only on what the registry's view generation covers (joined,
 * connected, disconnected, lost, removed, state or record replaced), so an entry is rebuilt when
 * it moves; free figures change far more often and are followed one executor at a time through
 * the ledger's change listener. `scanCapacity` (placement.ts) is the same answer by a scan, for
 * pinned requests and registries without a view generation.
 */
import type { PlacementPolicy } from '../../api/spec-types.ts';
import type { ExecutorRegistry, LiveExecutor } from '../executors/live-executor.ts';
import { countsTowardCapacity, type CapacityTotals } from './placement.ts';
import type { ResourceLedger } from './resource-ledger.ts';

/** Figures summed over a set of executors. */
export interface FleetTotals {
  executors: number;
  freeCores: number;
  totalCores: number;
  freeMemory: number;
  totalMemory: number;
  /** The biggest NUMA node's physical cores. */
  maxNodeCores: number;
}

interface Member {
  freeCores: number;
  totalCores: number;
  freeMemory: number;
  totalMemory: number;
  nodeCores: number;
}

interface Entry {
  viewGeneration: number;
  members: Map<string, Member>;
  sums: Omit<FleetTotals, 'executors' | 'maxNodeCores'>;
  /** Undefined after a member's largest node shrank: recomputed at the next read (layouts rarely change). */
  maxNodeCores: number | undefined;
}

/** The cluster summary's executors: every connected one, whatever its state. */
const CONNECTED_KEY = 'connected';

/** Policies seen by one controller are few (tasks' and apps' placement policies); a bound all the same. */
const MAX_ENTRIES = 64;

export class CapacityIndex {
  private readonly entries = new Map<string, Entry>();
  private readonly executors: Pick<ExecutorRegistry, 'list'> & { viewGeneration(): number };
  private readonly ledger: ResourceLedger;

  constructor(executors: Pick<ExecutorRegistry, 'list'> & { viewGeneration(): number }, ledger: ResourceLedger) {
    this.executors = executors;
    this.ledger = ledger;
    ledger.onChange((executorId) => this.follow(executorId));
  }

  /** Free cores and memory summed, and the biggest NUMA node, over the executors `policy` lets count. */
  totals(policy: PlacementPolicy): CapacityTotals {
    const { freeCores, freeMemory, maxNodeCores } = this.over(`policy ${JSON.stringify(policy)}`, (executor) => countsTowardCapacity(executor, policy));
    return { freeCores, freeMemory, maxNodeCores };
  }

  /** The connected executors and their figures (the cluster summary). */
  connected(): FleetTotals {
    return this.over(CONNECTED_KEY, (executor) => executor.connected);
  }

  private over(key: string, counts: (executor: LiveExecutor) => boolean): FleetTotals {
    const viewGeneration = this.executors.viewGeneration();
    let entry = this.entries.get(key);
    if (!entry || entry.viewGeneration !== viewGeneration) {
      entry = this.build(counts, viewGeneration);
      this.entries.delete(key);
      this.entries.set(key, entry);
      if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    }
    if (entry.maxNodeCores === undefined) {
      entry.maxNodeCores = 0;
      for (const member of entry.members.values()) entry.maxNodeCores = Math.max(entry.maxNodeCores, member.nodeCores);
    }
    return { executors: entry.members.size, ...entry.sums, maxNodeCores: entry.maxNodeCores };
  }

  private build(counts: (executor: LiveExecutor) => boolean, viewGeneration: number): Entry {
    const entry: Entry = { viewGeneration, members: new Map(), sums: { freeCores: 0, totalCores: 0, freeMemory: 0, totalMemory: 0 }, maxNodeCores: 0 };
    for (const executor of this.executors.list()) {
      if (!counts(executor)) continue;
      const member = this.figures(executor.record.executorId);
      entry.members.set(executor.record.executorId, member);
      addTo(entry.sums, member, 1);
      entry.maxNodeCores = Math.max(entry.maxNodeCores!, member.nodeCores);
    }
    return entry;
  }

  private figures(executorId: string): Member {
    return { ...this.ledger.capacity(executorId), nodeCores: this.ledger.largestNodeCores(executorId) };
  }

  /** A ledger change on one executor: its figures replaced in every entry it counts in. */
  private follow(executorId: string): void {
    let now: Member | undefined;
    for (const entry of this.entries.values()) {
      const before = entry.members.get(executorId);
      if (!before) continue;
      now ??= this.figures(executorId);
      entry.members.set(executorId, now);
      addTo(entry.sums, before, -1);
      addTo(entry.sums, now, 1);
      if (entry.maxNodeCores !== undefined) {
        if (now.nodeCores >= entry.maxNodeCores) entry.maxNodeCores = now.nodeCores;
        else if (before.nodeCores === entry.maxNodeCores) entry.maxNodeCores = undefined;
      }
    }
  }
}

function addTo(sums: Entry['sums'], member: Member, sign: 1 | -1): void {
  sums.freeCores += sign * member.freeCores;
  sums.totalCores += sign * member.totalCores;
  sums.freeMemory += sign * member.freeMemory;
  sums.totalMemory += sign * member.totalMemory;
}
