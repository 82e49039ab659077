/**
 * Workload cgroups on the unified hierarchy (cgroup v2, the common case today): one directory
 * per workload under the parent, whose ancestors delegate `cpuset`, `memory` and `cpu`
 * (`+cpuset +memory +cpu` in every `cgroup.subtree_control` from the root down). Limits:
 * `cpuset.cpus`, `cpuset.mems`, `memory.max`, `memory.swap.max = 0`, and `memory.oom.group = 1`
 * so an OOM kill takes the whole workload, not one of its processes at random. The OOM count is
 * `oom_kill` of `memory.events`.
 *
 * v2 forbids processes in a cgroup that hands controllers to its children (the "no internal
 * processes" rule), so the parent cannot be the executor's own cgroup: it is `/corral.slice/…`
 * from the root by default, as Nomad uses `nomad.slice`.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { formatCpuList } from '../host-topology.ts';
import type { CgroupLimits, CgroupUsage, WorkloadCgroups } from './workload-cgroups.ts';
import { makeDirs, parseKeyed, parsePids, readText, removeDir, removeEmptyDirs, safeName, writeControl } from './workload-cgroups.ts';

const CONTROLLERS = ['cpuset', 'memory', 'cpu'];

export class CgroupV2 implements WorkloadCgroups {
  readonly version = 'v2' as const;
  readonly parents: string[];
  /** Directories prepare() made (not found there), parents first. */
  private readonly made: string[] = [];
  private readonly remember = async (dir: string): Promise<void> => {
    this.made.push(dir);
  };
  private readonly root: string;
  private readonly parent: string;

  /** `root`: the cgroup2 mount; `parent`: path below it, e.g. `corral.slice/<executorId>`. */
  constructor(root: string, parent: string) {
    this.root = root;
    this.parent = path.join(root, parent);
    this.parents = [this.parent];
  }

  /** What the root offers, and whether the parent can be made and given the controllers. */
  async prepare(): Promise<void> {
    const available = new Set(((await readText(path.join(this.root, 'cgroup.controllers'))) ?? '').split(/\s+/).filter(Boolean));
    const missing = CONTROLLERS.filter((c) => c !== 'cpu' && !available.has(c));
    if (missing.length > 0) throw new Error(`the cgroup v2 hierarchy at ${this.root} does not offer the ${missing.join(' and ')} controller(s) (cgroup.controllers: ${[...available].join(' ') || 'none'})`);
    const wanted = CONTROLLERS.filter((c) => available.has(c));
    await makeDirs(this.root, this.parent, this.remember);
    // Every ancestor from the root to the parent hands the controllers down.
    const relative = path.relative(this.root, this.parent).split(path.sep).filter(Boolean);
    let dir = this.root;
    for (const part of relative) {
      await this.delegate(dir, wanted);
      dir = path.join(dir, part);
    }
    await this.delegate(this.parent, wanted);
  }

  private async delegate(dir: string, controllers: string[]): Promise<void> {
    const enabled = new Set(((await readText(path.join(dir, 'cgroup.subtree_control'))) ?? '').split(/\s+/));
    const needed = controllers.filter((c) => !enabled.has(c));
    if (needed.length > 0) await writeControl(path.join(dir, 'cgroup.subtree_control'), needed.map((c) => `+${c}`).join(' '));
  }

  private dir(name: string): string {
    return path.join(this.parent, safeName(name));
  }

  async create(name: string, limits: CgroupLimits): Promise<string[]> {
    const dir = this.dir(name);
    await mkdir(dir, { recursive: true });
    await writeControl(path.join(dir, 'cpuset.cpus'), formatCpuList(limits.cpus));
    await writeControl(path.join(dir, 'cpuset.mems'), formatCpuList(limits.mems));
    await writeControl(path.join(dir, 'memory.max'), String(limits.memoryBytes));
    // Swap and group kill exist only with swap accounting / newer kernels: best effort.
    await writeControl(path.join(dir, 'memory.swap.max'), '0').catch(() => undefined);
    await writeControl(path.join(dir, 'memory.oom.group'), '1').catch(() => undefined);
    return [path.join(dir, 'cgroup.procs')];
  }

  async pids(name: string): Promise<number[]> {
    return parsePids(await readText(path.join(this.dir(name), 'cgroup.procs')));
  }

  async list(): Promise<string[]> {
    try {
      return (await readdir(this.parent, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return [];
    }
  }

  async usage(name: string): Promise<CgroupUsage | undefined> {
    const dir = this.dir(name);
    const memory = await readText(path.join(dir, 'memory.current'));
    if (memory === undefined) return undefined;
    const max = await readText(path.join(dir, 'memory.max'));
    return {
      cpuSeconds: (parseKeyed(await readText(path.join(dir, 'cpu.stat'))).get('usage_usec') ?? 0) / 1e6,
      memoryBytes: Number(memory) || 0,
      memoryLimitBytes: max === undefined || max === 'max' ? 0 : Number(max),
      oomKills: parseKeyed(await readText(path.join(dir, 'memory.events'))).get('oom_kill') ?? 0,
    };
  }

  async oomKills(name: string): Promise<number | undefined> {
    const events = await readText(path.join(this.dir(name), 'memory.events'));
    return events === undefined ? undefined : parseKeyed(events).get('oom_kill') ?? 0;
  }

  async effectiveCpus(name: string): Promise<string | undefined> {
    return readText(path.join(this.dir(name), 'cpuset.cpus.effective'));
  }

  async remove(name: string): Promise<void> {
    await removeDir(this.dir(name));
  }

  async removeParentsIfEmpty(): Promise<void> {
    // The parents, then whatever above them this executor made (deepest first); never a directory it found.
    await removeEmptyDirs([...this.parents, ...[...this.made].reverse()]);
  }
}
