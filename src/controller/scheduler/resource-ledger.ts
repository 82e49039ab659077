/**
 * Per-executor accounting of whole CPU cores (by id) and memory (MB), per NUMA node.
 * The controller's records are the truth about allocations: the ledger is rebuilt from the
 * store at start (every active task/instance with resources) and kept in step as work is
 * placed and released. An allocation always comes from one NUMA node (docs/api.md §2.3.9).
 */
import type { Allocation, NumaMap, ResourceAllocation, ResourceLayout } from '../../api/resource-types.ts';

interface NodeBook {
  freeCores: Set<number>;
  usedCores: Set<number>;
  freeMemory: number;
  usedMemory: number;
}

export interface ExecutorUsage {
  freeCores: number;
  usedCores: number;
  freeMemory: number;
  usedMemory: number;
  freeCoresByNode: NumaMap<number[]>;
  usedCoresByNode: NumaMap<number[]>;
  freeMemoryByNode: NumaMap<number>;
  usedMemoryByNode: NumaMap<number>;
}

export class ResourceLedger {
  private readonly books = new Map<string, Map<string, NodeBook>>();
  /** allocation owner (instanceId) → executor + allocation, so release needs only the id. */
  private readonly owners = new Map<string, { executorId: string; allocation: Allocation }>();
  /** executorId → the owners holding resources on it (details and re-registration without a scan of every owner). */
  private readonly ownersOn = new Map<string, Set<string>>();
  private freed = 0;
  private readonly changeListeners: ((executorId: string) => void)[] = [];

  /**
   * Bumped whenever free capacity can grow (a release, a layout set or an executor removed):
   * between two equal readings, capacity only ever shrank. Placement's candidate cache relies on it.
   */
  get generation(): number {
    return this.freed;
  }

  /**
   * Calls `listener` after every change to an executor's free or total figures (allocations,
   * releases, layouts, removal), so indexes over them (scheduler/capacity-index.ts) stay exact.
   */
  onChange(listener: (executorId: string) => void): void {
    this.changeListeners.push(listener);
  }

  /** Registers (or re-registers) an executor's layout, keeping allocations already made on it. */
  setLayout(executorId: string, layout: ResourceLayout): void {
    const nodes = new Map<string, NodeBook>();
    for (const [node, cores] of Object.entries(layout.cores)) {
      nodes.set(node, { freeCores: new Set(cores), usedCores: new Set(), freeMemory: layout.memory[node] ?? 0, usedMemory: 0 });
    }
    for (const [node, mem] of Object.entries(layout.memory)) {
      if (!nodes.has(node)) nodes.set(node, { freeCores: new Set(), usedCores: new Set(), freeMemory: mem, usedMemory: 0 });
    }
    this.books.set(executorId, nodes);
    this.freed++;
    for (const ownerId of this.ownersOn.get(executorId) ?? []) this.apply(executorId, this.owners.get(ownerId)!.allocation);
    this.changed(executorId);
  }

  hasExecutor(executorId: string): boolean {
    return this.books.has(executorId);
  }

  removeExecutor(executorId: string): void {
    this.books.delete(executorId);
    this.freed++;
    this.changed(executorId);
  }

  /** Finds cores + memory on one NUMA node without taking them. */
  fit(executorId: string, cores: number, memoryMB: number): Allocation | undefined {
    const nodes = this.books.get(executorId);
    if (!nodes) return undefined;
    for (const [node, book] of nodes) {
      if (book.freeCores.size >= cores && book.freeMemory >= memoryMB) {
        const picked = [...book.freeCores].sort((a, b) => a - b).slice(0, cores);
        return { numaNode: node, cores: picked, memoryMB };
      }
    }
    return undefined;
  }

  /** Whether `cores` + `memoryMB` fit on one NUMA node, without building arrays (placement scoring hot path). */
  canFit(executorId: string, cores: number, memoryMB: number): boolean {
    const nodes = this.books.get(executorId);
    if (!nodes) return false;
    for (const book of nodes.values()) if (book.freeCores.size >= cores && book.freeMemory >= memoryMB) return true;
    return false;
  }

  /** Free and total figures of an executor, cheaply (no arrays built): used to spread load. */
  capacity(executorId: string): { freeCores: number; totalCores: number; freeMemory: number; totalMemory: number } {
    const result = { freeCores: 0, totalCores: 0, freeMemory: 0, totalMemory: 0 };
    for (const book of this.books.get(executorId)?.values() ?? []) {
      result.freeCores += book.freeCores.size;
      result.totalCores += book.freeCores.size + book.usedCores.size;
      result.freeMemory += book.freeMemory;
      result.totalMemory += book.freeMemory + book.usedMemory;
    }
    return result;
  }

  /** Takes resources for `ownerId`; returns the allocation, or undefined when it does not fit. */
  allocate(ownerId: string, executorId: string, cores: number, memoryMB: number): Allocation | undefined {
    const allocation = this.fit(executorId, cores, memoryMB);
    if (!allocation) return undefined;
    this.claim(ownerId, executorId, allocation);
    return allocation;
  }

  /** Records an allocation made earlier (rebuilding from the store). */
  claim(ownerId: string, executorId: string, allocation: Allocation): void {
    if (this.owners.has(ownerId)) this.release(ownerId);
    this.owners.set(ownerId, { executorId, allocation });
    let on = this.ownersOn.get(executorId);
    if (!on) this.ownersOn.set(executorId, (on = new Set()));
    on.add(ownerId);
    this.apply(executorId, allocation);
    this.changed(executorId);
  }

  release(ownerId: string): void {
    const owned = this.owners.get(ownerId);
    if (!owned) return;
    this.owners.delete(ownerId);
    const on = this.ownersOn.get(owned.executorId);
    on?.delete(ownerId);
    if (on?.size === 0) this.ownersOn.delete(owned.executorId);
    this.freed++;
    const book = this.books.get(owned.executorId)?.get(owned.allocation.numaNode);
    if (!book) return;
    for (const core of owned.allocation.cores) {
      if (book.usedCores.delete(core)) book.freeCores.add(core);
    }
    book.usedMemory -= owned.allocation.memoryMB;
    book.freeMemory += owned.allocation.memoryMB;
    this.changed(owned.executorId);
  }

  isAllocated(ownerId: string): boolean {
    return this.owners.has(ownerId);
  }

  usage(executorId: string): ExecutorUsage {
    const usage: ExecutorUsage = {
      freeCores: 0, usedCores: 0, freeMemory: 0, usedMemory: 0,
      freeCoresByNode: {}, usedCoresByNode: {}, freeMemoryByNode: {}, usedMemoryByNode: {},
    };
    for (const [node, book] of this.books.get(executorId) ?? []) {
      usage.freeCores += book.freeCores.size;
      usage.usedCores += book.usedCores.size;
      usage.freeMemory += book.freeMemory;
      usage.usedMemory += book.usedMemory;
      usage.freeCoresByNode[node] = [...book.freeCores].sort((a, b) => a - b);
      usage.usedCoresByNode[node] = [...book.usedCores].sort((a, b) => a - b);
      usage.freeMemoryByNode[node] = book.freeMemory;
      usage.usedMemoryByNode[node] = book.usedMemory;
    }
    return usage;
  }

  /** Who holds which core of an executor (executor details), by NUMA node then core id. */
  holders(executorId: string): { numaNode: string; core: number; ownerId: string }[] {
    const result: { numaNode: string; core: number; ownerId: string }[] = [];
    for (const ownerId of this.ownersOn.get(executorId) ?? []) {
      const owned = this.owners.get(ownerId)!;
      for (const core of owned.allocation.cores) result.push({ numaNode: owned.allocation.numaNode, core, ownerId });
    }
    // Most holders share a node: equal names skip localeCompare, which was most of an executor's details.
    return result.sort((a, b) => (a.numaNode === b.numaNode ? 0 : a.numaNode.localeCompare(b.numaNode, undefined, { numeric: true })) || a.core - b.core);
  }

  /** Largest single-NUMA-node physical core count on this executor (capacity check, §2.3.9). */
  largestNodeCores(executorId: string): number {
    let max = 0;
    for (const book of this.books.get(executorId)?.values() ?? []) max = Math.max(max, book.freeCores.size + book.usedCores.size);
    return max;
  }

  private changed(executorId: string): void {
    for (const listener of this.changeListeners) listener(executorId);
  }

  private apply(executorId: string, allocation: Allocation): void {
    const book = this.books.get(executorId)?.get(allocation.numaNode);
    if (!book) return;
    for (const core of allocation.cores) {
      book.freeCores.delete(core);
      book.usedCores.add(core);
    }
    book.freeMemory -= allocation.memoryMB;
    book.usedMemory += allocation.memoryMB;
  }
}

/** Reads an Allocation back from wire ResourceAllocations (records persisted by the controller). */
export function allocationFromWire(resources: ResourceAllocation[] | undefined): Allocation | undefined {
  if (!resources) return undefined;
  let numaNode: string | undefined;
  let cores: number[] = [];
  let memoryMB = 0;
  for (const r of resources) {
    if (r.type === 'CPU') {
      for (const [node, ids] of Object.entries(r.cores)) {
        numaNode = node;
        cores = [...ids];
      }
    } else {
      for (const [node, mb] of Object.entries(r.memoryInMB)) {
        numaNode ??= node;
        memoryMB = mb;
      }
    }
  }
  return numaNode === undefined ? undefined : { numaNode, cores, memoryMB };
}
