/**
 * What an executor offers the controller, from what the machine has (host-topology.ts) and
 * the operator's settings, and where an allocation made from that offer lands on the host.
 *
 *  - Default: every online CPU of every NUMA node, less the reserved OS cores (Drove's
 *    `osCores`), and each node's memory. Core ids are the kernel's: an allocation of cores
 *    [2, 3] on node "1" is pinned to CPUs 2 and 3 and node 1's memory.
 *  - `--cores N` / `--memory-mb N` (tests, a share of a machine): the first N offered CPUs in
 *    node order, and N MB split over the nodes in proportion to their memory. More cores than
 *    the machine has cannot be real CPUs: the cores become *counted* (virtual ids 0..N-1 on
 *    one node), and a workload is confined to all offered CPUs instead of pinned to its own.
 *  - Over-provisioning (Drove's, off by default): the offered CPUs × `cpuMultiplier` virtual
 *    cores and the memory × `memoryMultiplier`, on one node "0"; workloads share the offered
 *    CPUs (no pinning, as Drove turns NUMA pinning off with it) and keep their hard memory limit,
 *    so more workloads fit than the machine could give dedicated cores to.
 */
import type { Allocation, ResourceLayout } from '../../api/resource-types.ts';
import type { HostTopology } from './host-topology.ts';

export interface OverProvisioning {
  cpuMultiplier: number;
  memoryMultiplier: number;
}

export interface ResourceSettings {
  cores?: number;
  memoryMb?: number;
  /** CPUs kept for the OS and the executor itself: never offered (Drove's `osCores`). */
  osCores?: number[];
  overProvisioning?: OverProvisioning;
}

/**
 * `pinned`: allocated core ids are real CPUs, pinned one to one.
 * `shared`: core ids are counted, not real (over-provisioning, or more cores than the machine
 * has): a workload runs on every offered CPU and the memory of every node.
 */
export type PinningMode = 'pinned' | 'shared';

export interface ResourcePlan {
  layout: ResourceLayout;
  topology: HostTopology;
  osCores: number[];
  pinning: PinningMode;
  /** Why cores are shared rather than pinned (for the start-up line and the executor details). */
  sharedBecause?: string;
  overProvisioning?: OverProvisioning;
  /** The real CPUs and memory nodes workloads may use at all. */
  offeredCpus: number[];
  offeredMems: number[];
}

/** Where a workload's allocation lands on this host. */
export interface HostPlacement {
  cpus: number[];
  mems: number[];
}

export class ResourcePlanError extends Error {
  readonly code = 'EXECUTOR_CONFIG_INVALID';
}

function splitMemory(topology: HostTopology, totalMb: number): Map<string, number> {
  const machine = topology.nodes.reduce((sum, n) => sum + n.memoryMb, 0);
  const result = new Map<string, number>();
  let given = 0;
  topology.nodes.forEach((node, i) => {
    const share = i === topology.nodes.length - 1 ? totalMb - given : Math.floor(totalMb * (machine > 0 ? node.memoryMb / machine : 1 / topology.nodes.length));
    result.set(node.id, share);
    given += share;
  });
  return result;
}

export function planResources(topology: HostTopology, settings: ResourceSettings = {}): ResourcePlan {
  const osCores = [...new Set(settings.osCores ?? [])].sort((a, b) => a - b);
  const online = new Set(topology.online);
  const unknown = osCores.filter((cpu) => !online.has(cpu));
  if (unknown.length > 0) throw new ResourcePlanError(`--os-cores: CPU(s) ${unknown.join(', ')} are not online on this machine (online: ${topology.online.join(', ')})`);
  const reserved = new Set(osCores);
  const nodes = topology.nodes.map((node) => ({ id: node.id, cpus: node.cpus.filter((cpu) => !reserved.has(cpu)), memoryMb: node.memoryMb }));
  const offeredCpus = nodes.flatMap((n) => n.cpus).sort((a, b) => a - b);
  if (offeredCpus.length === 0) throw new ResourcePlanError(`--os-cores reserves every CPU of this machine (${topology.online.join(', ')}): nothing is left to offer`);
  const offeredMems = nodes.filter((n) => n.memoryMb > 0).map((n) => Number(n.id));
  const base = { topology, osCores, offeredCpus, offeredMems };
  const over = settings.overProvisioning;
  const multiplied = over !== undefined && (over.cpuMultiplier > 1 || over.memoryMultiplier > 1);

  if (multiplied) {
    const cores = (settings.cores ?? offeredCpus.length) * over.cpuMultiplier;
    const memory = (settings.memoryMb ?? nodes.reduce((sum, n) => sum + n.memoryMb, 0)) * over.memoryMultiplier;
    return {
      ...base,
      layout: { cores: { '0': Array.from({ length: cores }, (_, i) => i) }, memory: { '0': memory } },
      pinning: 'shared',
      sharedBecause: `over-provisioning (CPU ×${over.cpuMultiplier}, memory ×${over.memoryMultiplier})`,
      overProvisioning: over,
    };
  }
  const memoryByNode = settings.memoryMb !== undefined ? splitMemory({ ...topology, nodes }, settings.memoryMb) : new Map(nodes.map((n) => [n.id, n.memoryMb]));
  if (settings.cores !== undefined && settings.cores > offeredCpus.length) {
    const total = [...memoryByNode.values()].reduce((a, b) => a + b, 0);
    return {
      ...base,
      layout: { cores: { '0': Array.from({ length: settings.cores }, (_, i) => i) }, memory: { '0': total } },
      pinning: 'shared',
      sharedBecause: `--cores ${settings.cores} exceeds the ${offeredCpus.length} CPU(s) this machine offers`,
    };
  }
  const layout: ResourceLayout = { cores: {}, memory: {} };
  let left = settings.cores ?? offeredCpus.length;
  for (const node of nodes) {
    const cpus = node.cpus.slice(0, Math.max(0, left));
    left -= cpus.length;
    const memory = memoryByNode.get(node.id) ?? 0;
    if (cpus.length === 0 && memory === 0) continue;
    layout.cores[node.id] = cpus;
    layout.memory[node.id] = memory;
  }
  return { ...base, layout, pinning: 'pinned' };
}

/** The CPUs and memory nodes a workload with `allocation` is confined to on this host. */
export function hostPlacement(plan: Pick<ResourcePlan, 'pinning' | 'offeredCpus' | 'offeredMems'>, allocation: Allocation): HostPlacement {
  if (plan.pinning === 'pinned' && allocation.cores.length > 0) {
    const node = Number(allocation.numaNode);
    return { cpus: [...allocation.cores].sort((a, b) => a - b), mems: Number.isInteger(node) && plan.offeredMems.includes(node) ? [node] : plan.offeredMems };
  }
  return { cpus: plan.offeredCpus, mems: plan.offeredMems };
}
