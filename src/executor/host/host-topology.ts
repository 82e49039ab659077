/**
 * The machine as the kernel describes it: NUMA nodes with their CPUs and memory
 * (`/sys/devices/system/node/node<N>/{cpulist,meminfo}`), which CPUs are online and which are
 * isolated (`/sys/devices/system/cpu/{online,isolated}`, the `isolcpus=` boot option).
 *
 * A kernel built without NUMA has no `node/` directory: the machine is then one node "0" with
 * every online CPU and all of its memory. `sysRoot` is a parameter so tests can lay out the
 * files of a machine they are not running on (several nodes, offline and isolated CPUs).
 */
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface NumaNode {
  /** The kernel's node number, as a decimal string (the key of every NUMA-keyed map on the wire). */
  id: string;
  /** Online CPUs of this node. */
  cpus: number[];
  /** Memory of this node in MB (MemTotal of its meminfo). */
  memoryMb: number;
}

export interface HostTopology {
  nodes: NumaNode[];
  online: number[];
  /** CPUs kept off the general scheduler at boot (`isolcpus=`); empty when none. */
  isolated: number[];
}

/** Parses a kernel CPU list (`0-3,8,10-11`; empty for none). Throws on anything else. */
export function parseCpuList(text: string): number[] {
  const cpus = new Set<number>();
  for (const part of text.trim().split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) throw new Error(`"${text.trim()}" is not a CPU list (expected e.g. 0-3,8)`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) throw new Error(`"${part}" is not a CPU range`);
    for (let cpu = from; cpu <= to; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** Writes CPUs back as a kernel CPU list (`0-3,8`), the form cpuset files and Docker take. */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j;
  }
  return parts.join(',');
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

function memTotalMb(meminfo: string): number {
  const match = /MemTotal:\s+(\d+)\s*kB/.exec(meminfo);
  return match ? Math.floor(Number(match[1]) / 1024) : 0;
}

/** Reads the topology under `sysRoot` (default `/sys`). */
export async function readHostTopology(sysRoot = '/sys'): Promise<HostTopology> {
  const cpuDir = path.join(sysRoot, 'devices/system/cpu');
  const onlineText = await readOptional(path.join(cpuDir, 'online'));
  const online = onlineText !== undefined ? parseCpuList(onlineText) : os.cpus().map((_, i) => i);
  const isolated = parseCpuList((await readOptional(path.join(cpuDir, 'isolated'))) ?? '');
  const onlineSet = new Set(online);

  const nodeDir = path.join(sysRoot, 'devices/system/node');
  let entries: string[] = [];
  try {
    entries = (await readdir(nodeDir)).filter((name) => /^node\d+$/.test(name));
  } catch {
    // no NUMA support in this kernel: one node below
  }
  const nodes: NumaNode[] = [];
  for (const name of entries.sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)))) {
    const cpus = parseCpuList((await readOptional(path.join(nodeDir, name, 'cpulist'))) ?? '').filter((cpu) => onlineSet.has(cpu));
    const memoryMb = memTotalMb((await readOptional(path.join(nodeDir, name, 'meminfo'))) ?? '');
    if (cpus.length === 0 && memoryMb === 0) continue; // a node with nothing online (memory-less and offline)
    nodes.push({ id: name.slice(4), cpus, memoryMb });
  }
  if (nodes.length === 0) nodes.push({ id: '0', cpus: online, memoryMb: Math.floor(os.totalmem() / (1024 * 1024)) });
  return { nodes, online, isolated };
}
