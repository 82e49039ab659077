/**
 * Workload cgroups on a v1 (or hybrid) host: one directory per workload in each of the
 * `cpuset`, `memory` and (for CPU figures, when mounted) `cpuacct` hierarchies. Limits:
 * `cpuset.cpus` / `cpuset.mems`, `memory.limit_in_bytes` and `memory.memsw.limit_in_bytes` equal
 * to it (no swap on top, where swap accounting is on), `memory.swappiness = 0`. OOM kills are
 * `oom_kill` of `memory.oom_control` (kernels ≥ 4.13); older kernels say only `failcnt`, which
 * then stands in for it.
 *
 * A new v1 cpuset directory starts with no CPUs and no memory nodes, and a process cannot join
 * it until both are set: every directory made on the way down to the parent copies its own
 * parent's values.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { formatCpuList } from '../host-topology.ts';
import type { CgroupLimits, CgroupUsage, WorkloadCgroups } from './workload-cgroups.ts';
import { makeDirs, parseKeyed, parsePids, readText, removeDir, removeEmptyDirs, safeName, writeControl } from './workload-cgroups.ts';

export interface V1Parents {
  /** Hierarchy root (the mount) and the parent directory below it, for each hierarchy used. */
  cpuset: { mount: string; parent: string };
  memory: { mount: string; parent: string };
  cpuacct?: { mount: string; parent: string };
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

export class CgroupV1 implements WorkloadCgroups {
  readonly version = 'v1' as const;
  readonly parents: string[];
  /** Directories prepare() made (not found there), parents first. */
  private readonly made: string[] = [];
  private readonly remember = async (dir: string): Promise<void> => {
    this.made.push(dir);
  };
  private readonly hierarchies: V1Parents;

  constructor(hierarchies: V1Parents) {
    this.hierarchies = hierarchies;
    this.parents = [hierarchies.cpuset.parent, hierarchies.memory.parent, ...(hierarchies.cpuacct ? [hierarchies.cpuacct.parent] : [])];
  }

  async prepare(): Promise<void> {
    const { cpuset, memory, cpuacct } = this.hierarchies;
    await this.makeCpusetPath(cpuset.mount, cpuset.parent);
    await makeDirs(memory.mount, memory.parent, this.remember);
    if (cpuacct) await makeDirs(cpuacct.mount, cpuacct.parent, this.remember);
  }

  /** mkdir down to `target`, each new cpuset directory given its parent's CPUs and memory nodes. */
  private async makeCpusetPath(mount: string, target: string): Promise<void> {
    let dir = mount;
    for (const part of path.relative(mount, target).split(path.sep).filter(Boolean)) {
      const child = path.join(dir, part);
      await makeDirs(dir, child, this.remember);
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        if (!(await readText(path.join(child, file)))) await writeControl(path.join(child, file), (await readText(path.join(dir, file))) ?? '');
      }
      dir = child;
    }
  }

  private dirs(name: string): { cpuset: string; memory: string; cpuacct?: string } {
    const safe = safeName(name);
    const { cpuset, memory, cpuacct } = this.hierarchies;
    return {
      cpuset: path.join(cpuset.parent, safe),
      memory: path.join(memory.parent, safe),
      ...(cpuacct ? { cpuacct: path.join(cpuacct.parent, safe) } : {}),
    };
  }

  async create(name: string, limits: CgroupLimits): Promise<string[]> {
    const dirs = this.dirs(name);
    await mkdir(dirs.cpuset, { recursive: true });
    await writeControl(path.join(dirs.cpuset, 'cpuset.cpus'), formatCpuList(limits.cpus));
    await writeControl(path.join(dirs.cpuset, 'cpuset.mems'), formatCpuList(limits.mems));
    await mkdir(dirs.memory, { recursive: true });
    await writeControl(path.join(dirs.memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    // memsw ≥ limit must hold, so it goes second; absent without swap accounting (no swap to limit).
    if (await exists(path.join(dirs.memory, 'memory.memsw.limit_in_bytes'))) {
      await writeControl(path.join(dirs.memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
    }
    await writeControl(path.join(dirs.memory, 'memory.swappiness'), '0').catch(() => undefined);
    const procs = [path.join(dirs.cpuset, 'cgroup.procs'), path.join(dirs.memory, 'cgroup.procs')];
    if (dirs.cpuacct) {
      await mkdir(dirs.cpuacct, { recursive: true });
      procs.push(path.join(dirs.cpuacct, 'cgroup.procs'));
    }
    return procs;
  }

  async pids(name: string): Promise<number[]> {
    const dirs = this.dirs(name);
    const all = new Set([...parsePids(await readText(path.join(dirs.cpuset, 'cgroup.procs'))), ...parsePids(await readText(path.join(dirs.memory, 'cgroup.procs')))]);
    return [...all];
  }

  async list(): Promise<string[]> {
    const names = new Set<string>();
    for (const parent of this.parents) {
      try {
        for (const entry of await readdir(parent, { withFileTypes: true })) if (entry.isDirectory()) names.add(entry.name);
      } catch {
        // not made yet
      }
    }
    return [...names];
  }

  async usage(name: string): Promise<CgroupUsage | undefined> {
    const dirs = this.dirs(name);
    const memory = await readText(path.join(dirs.memory, 'memory.usage_in_bytes'));
    if (memory === undefined) return undefined;
    const oomControl = parseKeyed(await readText(path.join(dirs.memory, 'memory.oom_control')));
    const failcnt = Number(await readText(path.join(dirs.memory, 'memory.failcnt'))) || 0;
    const cpuNs = dirs.cpuacct ? Number(await readText(path.join(dirs.cpuacct, 'cpuacct.usage'))) || 0 : 0;
    const limit = Number(await readText(path.join(dirs.memory, 'memory.limit_in_bytes'))) || 0;
    return {
      cpuSeconds: cpuNs / 1e9,
      memoryBytes: Number(memory) || 0,
      // "unlimited" is PAGE_COUNTER_MAX in bytes, far beyond any machine
      memoryLimitBytes: limit >= 2 ** 62 ? 0 : limit,
      oomKills: oomControl.get('oom_kill') ?? (failcnt > 0 ? 1 : 0),
    };
  }

  async oomKills(name: string): Promise<number | undefined> {
    const memory = this.dirs(name).memory;
    const oomControl = await readText(path.join(memory, 'memory.oom_control'));
    if (oomControl === undefined) return undefined;
    // Kernels before 4.13 have no oom_kill count: a limit that was hit stands in for it.
    const kills = parseKeyed(oomControl).get('oom_kill');
    return kills ?? ((Number(await readText(path.join(memory, 'memory.failcnt'))) || 0) > 0 ? 1 : 0);
  }

  async effectiveCpus(name: string): Promise<string | undefined> {
    return readText(path.join(this.dirs(name).cpuset, 'cpuset.effective_cpus'));
  }

  async remove(name: string): Promise<void> {
    const dirs = this.dirs(name);
    for (const dir of [dirs.memory, dirs.cpuset, dirs.cpuacct]) if (dir) await removeDir(dir);
  }

  async removeParentsIfEmpty(): Promise<void> {
    // The parents, then whatever above them this executor made (deepest first); never a directory it found.
    await removeEmptyDirs([...this.parents, ...[...this.made].reverse()]);
  }
}
