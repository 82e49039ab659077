/**
 * Reading the machine's topology and planning what an executor offers. This machine has one
 * NUMA node and no isolated CPUs, so the multi-node cases read a sysfs tree laid out in a temp
 * dir the way the kernel lays out /sys/devices/system (two nodes, an offline CPU, isolated
 * CPUs); the real /sys is read once to hold the reader to the real kernel's files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileExecutorOptions } from '../../../src/executor/agent/executor-options.ts';
import { formatCpuList, parseCpuList, readHostTopology } from '../../../src/executor/host/host-topology.ts';
import { hostPlacement, planResources } from '../../../src/executor/host/resource-plan.ts';
import { tempDir } from '../helpers/workload-fixtures.ts';

let sys: string;
let cleanup: () => Promise<void>;

/** Two nodes of four CPUs; CPU 7 offline, 2-3 isolated; 16 GB and 8 GB. */
async function layOutTwoNodeMachine(root: string): Promise<void> {
  const cpu = path.join(root, 'devices/system/cpu');
  await mkdir(cpu, { recursive: true });
  await writeFile(path.join(cpu, 'online'), '0-6\n');
  await writeFile(path.join(cpu, 'isolated'), '2-3\n');
  for (const [node, cpus, kb] of [['0', '0-3', 16 * 1024 * 1024], ['1', '4-7', 8 * 1024 * 1024]] as const) {
    const dir = path.join(root, 'devices/system/node', `node${node}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'cpulist'), `${cpus}\n`);
    await writeFile(path.join(dir, 'meminfo'), `Node ${node} MemTotal:       ${kb} kB\nNode ${node} MemFree:        1 kB\n`);
  }
  await writeFile(path.join(root, 'devices/system/node/online'), '0-1\n');
}

beforeAll(async () => {
  ({ dir: sys, cleanup } = await tempDir('corral-sysfs-'));
  await layOutTwoNodeMachine(sys);
});
afterAll(async () => {
  await cleanup();
});

describe('CPU lists', () => {
  it('reads and writes the kernel form', () => {
    expect(parseCpuList('0-3,8,10-11\n')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('')).toEqual([]);
    expect(formatCpuList([3, 0, 1, 2, 8, 10, 11])).toBe('0-3,8,10-11');
    expect(() => parseCpuList('zero')).toThrow(/not a CPU list/);
  });
});

describe('host topology', () => {
  it('reads NUMA nodes, their online CPUs and memory, and the isolated CPUs', async () => {
    const topology = await readHostTopology(sys);
    expect(topology).toEqual({
      nodes: [{ id: '0', cpus: [0, 1, 2, 3], memoryMb: 16384 }, { id: '1', cpus: [4, 5, 6], memoryMb: 8192 }],
      online: [0, 1, 2, 3, 4, 5, 6],
      isolated: [2, 3],
    });
  });

  it('reads this machine: every online CPU in some node, memory close to what the OS says', async () => {
    const topology = await readHostTopology();
    expect(topology.nodes.flatMap((n) => n.cpus).sort((a, b) => a - b)).toEqual(topology.online);
    expect(topology.online.length).toBe(os.cpus().length);
    const total = topology.nodes.reduce((sum, n) => sum + n.memoryMb, 0);
    expect(Math.abs(total - os.totalmem() / 1048576)).toBeLessThan(os.totalmem() / 1048576 * 0.1);
  });

  it('a kernel without NUMA support is one node with everything', async () => {
    const { dir, cleanup: done } = await tempDir('corral-sysfs-flat-');
    await mkdir(path.join(dir, 'devices/system/cpu'), { recursive: true });
    await writeFile(path.join(dir, 'devices/system/cpu/online'), '0-1\n');
    const topology = await readHostTopology(dir);
    expect(topology.nodes).toEqual([{ id: '0', cpus: [0, 1], memoryMb: Math.floor(os.totalmem() / 1048576) }]);
    await done();
  });
});

describe('what an executor offers', () => {
  it('every node with its own CPUs and memory, less the OS cores; pinned', async () => {
    const plan = planResources(await readHostTopology(sys), { osCores: [0, 4] });
    expect(plan.layout).toEqual({ cores: { '0': [1, 2, 3], '1': [5, 6] }, memory: { '0': 16384, '1': 8192 } });
    expect(plan.pinning).toBe('pinned');
    expect(hostPlacement(plan, { numaNode: '1', cores: [5], memoryMB: 64 })).toEqual({ cpus: [5], mems: [1] });
  });

  it('--cores / --memory-mb take the first CPUs in node order and split the memory by node size', async () => {
    const plan = planResources(await readHostTopology(sys), { cores: 5, memoryMb: 3000 });
    expect(plan.layout).toEqual({ cores: { '0': [0, 1, 2, 3], '1': [4] }, memory: { '0': 2000, '1': 1000 } });
    expect(plan.pinning).toBe('pinned');
  });

  it('more cores than the machine has are counted, not pinned: workloads share the offered CPUs', async () => {
    const plan = planResources(await readHostTopology(sys), { cores: 16, osCores: [0] });
    expect(plan.layout.cores).toEqual({ '0': Array.from({ length: 16 }, (_, i) => i) });
    expect(plan.pinning).toBe('shared');
    expect(plan.sharedBecause).toMatch(/--cores 16 exceeds the 6 CPU/);
    expect(hostPlacement(plan, { numaNode: '0', cores: [12], memoryMB: 64 })).toEqual({ cpus: [1, 2, 3, 4, 5, 6], mems: [0, 1] });
  });

  it('over-provisioning multiplies cores and memory on one node and turns pinning off', async () => {
    const plan = planResources(await readHostTopology(sys), { overProvisioning: { cpuMultiplier: 3, memoryMultiplier: 2 } });
    expect(plan.layout).toEqual({ cores: { '0': Array.from({ length: 21 }, (_, i) => i) }, memory: { '0': 49152 } });
    expect(plan.pinning).toBe('shared');
    expect(plan.sharedBecause).toBe('over-provisioning (CPU ×3, memory ×2)');
  });

  it('bad settings say what is wrong', async () => {
    const topology = await readHostTopology(sys);
    const options = { controllers: 'http://c:4000', secret: 's' };
    expect(() => compileExecutorOptions({ ...options, osCores: [7] }, topology)).toThrow('--os-cores: CPU(s) 7 are not online on this machine (online: 0, 1, 2, 3, 4, 5, 6)');
    expect(() => compileExecutorOptions({ ...options, osCores: [0, 1, 2, 3, 4, 5, 6] }, topology)).toThrow(/reserves every CPU/);
    expect(() => compileExecutorOptions({ ...options, overProvisioning: { cpuMultiplier: 0, memoryMultiplier: 1 } }, topology)).toThrow('--overprovision-cpu must be a whole number from 1 to 100, got 0');
  });
});
