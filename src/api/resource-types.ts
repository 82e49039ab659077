/** Resource allocations (docs/api.md §2.8.7, §4.5). NUMA-keyed maps use decimal string keys. */

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

/**
 * [corral] What a running workload used, as its executor last sampled it (docs/api.md §2.8,
 * docs/metrics.md). CPU is cumulative seconds plus the rate over the last sampling interval
 * (100 = one core busy); network and block I/O are cumulative bytes, containers only.
 */
export interface ResourceUsage {
  cpuSeconds: number;
  cpuPercent: number;
  memoryBytes: number;
  /** The hard limit the workload runs under (0: none known). */
  memoryLimitBytes: number;
  /** OOM kills inside the workload (cgroups of host processes; containers report OOM as their exit reason). */
  oomKills: number;
  networkRxBytes?: number;
  networkTxBytes?: number;
  blockReadBytes?: number;
  blockWriteBytes?: number;
  /** When it was sampled (epoch ms). */
  sampledAt: number;
}
