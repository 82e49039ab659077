/**
 * The machine's raw spawn rate, measured in a clean Node process of its own (bench/tasks.ts
 * runs it as a child before it starts anything else): `spawn('/bin/true')` N times at
 * concurrency C, nothing else loaded. Measured inside a process that also hosts a controller it
 * reads ~30 % low. Prints one JSON line: the rate, and the CPU per spawn of this process (the
 * parent) and of the /bin/true children.
 *
 *   node bench/raw-spawn.ts N C
 */
import { spawn } from 'node:child_process';
import { pool } from './bench-jobs.ts';
import { reapedChildrenCpuMs } from './proc-cpu.ts';

const N = Number(process.argv[2] ?? 1000);
const C = Number(process.argv[3] ?? 16);

function spawnTrue(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/true', [], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve());
  });
}

await pool(50, C, spawnTrue); // warm up
const cpuBefore = process.cpuUsage();
const childrenBefore = reapedChildrenCpuMs();
const seconds = await pool(N, C, spawnTrue);
const cpu = process.cpuUsage(cpuBefore);
const childCpuMsPerSpawn = (reapedChildrenCpuMs() - childrenBefore) / N;
process.stdout.write(`${JSON.stringify({ rate: N / seconds, seconds, parentCpuMsPerSpawn: (cpu.user + cpu.system) / 1000 / N, childCpuMsPerSpawn })}\n`);
