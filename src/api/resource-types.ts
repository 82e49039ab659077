/** Resource allocations (API.md §2.8.7, §4.5). NUMA-keyed maps use decimal string keys. */

export type NumaMap<T> = Record<string, T>;

export type ResourceAllocation = { type: 'CPU'; cores: NumaMap<number[]> } | { type: 'MEMORY'; memoryInMB: NumaMap<number> };

/** What the scheduler grants one instance or task: concrete core ids and MB, from one NUMA node. */
export interface Allocation {
  numaNode: string;
  cores: number[];
  memoryMB: number;
}

export function allocationToWire(a: Allocation): ResourceAllocation[] {
  return [
    { type: 'CPU', cores: { [a.numaNode]: [...a.cores] } },
    { type: 'MEMORY', memoryInMB: { [a.numaNode]: a.memoryMB } },
  ];
}

/** An executor's physical layout as it reports it. The process driver reports one node "0". */
export interface ResourceLayout {
  cores: NumaMap<number[]>;
  memory: NumaMap<number>;
}
