/**
 * CPU time of processes from /proc (Linux; USER_HZ is 100, so figures are in 10 ms steps): one
 * process, a whole tree below a root, and the reaped children of this process.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** `/proc/<pid>/stat` fields after the command name (field 3, the state, is index 0). */
function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

// utime stime cutime cstime are fields 14–17 (1-based), i.e. 11–14 after the state field.
const ticksMs = (ticks: number) => (ticks * 1000) / 100;
const own = (fields: string[]) => ticksMs(Number(fields[11]) + Number(fields[12]));
const reaped = (fields: string[]) => ticksMs(Number(fields[13]) + Number(fields[14]));

/** CPU ms a live process has used itself (all its threads); 0 once it is gone. */
export function processCpuMs(pid: number): number {
  const fields = statFields(pid);
  return fields ? own(fields) : 0;
}

/** CPU ms of the children this process has waited for (e.g. the sbatch or /bin/true it spawned). */
export function reapedChildrenCpuMs(): number {
  const fields = statFields('self');
  return fields ? reaped(fields) : 0;
}

/** CPU time (ms) of a process tree: the root's own, and everything below it. */
export interface TreeCpu {
  own: number;
  /** Live descendants' own time plus every reaped child's (the executor's spawn helper lives as long as the executor; the tasks are its children). */
  below: number;
}

export function treeCpu(root: number): TreeCpu {
  const parents = new Map<number, number>();
  const stats = new Map<number, string[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const fields = statFields(pid);
    if (!fields) continue;
    parents.set(pid, Number(fields[1]));
    stats.set(pid, fields);
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; p = parents.get(p), hops++) {
      if (p === root) return true;
    }
    return false;
  };
  const cpu: TreeCpu = { own: 0, below: 0 };
  for (const [pid, fields] of stats) {
    if (!inTree(pid)) continue;
    if (pid === root) cpu.own += own(fields);
    else cpu.below += own(fields);
    cpu.below += reaped(fields);
  }
  return cpu;
}

export function cpuSince(before: TreeCpu, after: TreeCpu): TreeCpu {
  return { own: after.own - before.own, below: after.below - before.below };
}

/** The machine's CPU time so far (all cores, from /proc/stat): busy and total, in ticks. */
export function machineCpuTicks(): { busy: number; total: number } {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
  const ticks = fields.map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  // user nice system idle iowait irq softirq steal …: idle and iowait are not busy.
  return { busy: total - ticks[3] - (ticks[4] ?? 0), total };
}

/** The share of the machine's cores busy between two `machineCpuTicks()` readings (0–1). */
export function machineBusyShare(before: { busy: number; total: number }, after: { busy: number; total: number }): number {
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : 0;
}
