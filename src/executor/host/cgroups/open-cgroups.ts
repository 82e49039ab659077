/**
 * Finds how this host lays out its cgroups and whether the executor may make workload cgroups
 * there, once, at executor start: a read-only mount, a missing controller or a parent it may not
 * write is said then (`problem`), not discovered by the first workload.
 *
 *  - `<root>/cgroup.controllers` exists: the unified hierarchy (v2) is mounted at the root.
 *  - `<root>/cpuset` and `<root>/memory` are v1 hierarchies (v1, or hybrid with a v2 mount
 *    beside them that carries no cpuset or memory controller, as on many older distributions).
 *
 * The parent: `--cgroup-parent` when given (absolute = from the hierarchy's root; relative =
 * below the executor's own cgroup). Default on v1: `corral/<executorId>` below the executor's
 * own cgroup in each hierarchy, so whatever limits or accounts the executor (a service manager,
 * a sandbox) also covers its workloads. Default on v2: `/corral.slice/<executorId>` from the
 * root, because v2 forbids a cgroup with processes (the executor's) to hand controllers down.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { CgroupV1 } from './cgroup-v1.ts';
import { CgroupV2 } from './cgroup-v2.ts';
import type { WorkloadCgroups } from './workload-cgroups.ts';

export interface CgroupOptions {
  executorId: string;
  root?: string;
  parent?: string;
  /** CPUs and memory nodes a probe cgroup is given to prove limits can be written (made and removed at once); absent: no probe. */
  probe?: { cpus: number[]; mems: number[] };
  /** Default /proc/self/cgroup (tests give another). */
  selfCgroupFile?: string;
}

export type CgroupSetup =
  | { version: 'v1' | 'v2'; cgroups: WorkloadCgroups; problem?: undefined }
  | { version: 'v1' | 'v2' | 'none'; cgroups?: undefined; problem: string };

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** The executor's own cgroup path per controller (`''` key: the v2 one) from /proc/self/cgroup. */
async function ownCgroups(file: string): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return result;
  }
  for (const line of text.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    for (const controller of match[1].split(',')) result.set(controller, match[2] || '/');
  }
  return result;
}

function parentBelow(given: string | undefined, fallback: string, own: string): string {
  const chosen = given ?? fallback;
  return chosen.startsWith('/') ? chosen.slice(1) : path.join(own.replace(/^\/+/, ''), chosen);
}

export async function openCgroups(options: CgroupOptions): Promise<CgroupSetup> {
  const root = options.root ?? '/sys/fs/cgroup';
  const own = await ownCgroups(options.selfCgroupFile ?? '/proc/self/cgroup');
  let cgroups: CgroupV1 | CgroupV2;
  if (await exists(path.join(root, 'cgroup.controllers'))) {
    cgroups = new CgroupV2(root, parentBelow(options.parent, `/corral.slice/${options.executorId}`, own.get('') ?? '/'));
  } else if (await exists(path.join(root, 'cpuset', 'cpuset.cpus')) && await exists(path.join(root, 'memory', 'memory.limit_in_bytes'))) {
    const at = (controller: string) => {
      const mount = path.join(root, controller);
      return { mount, parent: path.join(mount, parentBelow(options.parent, `corral/${options.executorId}`, own.get(controller) ?? '/')) };
    };
    const cpuacct = await exists(path.join(root, 'cpuacct', 'cpuacct.usage')) ? at('cpuacct') : undefined;
    cgroups = new CgroupV1({ cpuset: at('cpuset'), memory: at('memory'), ...(cpuacct ? { cpuacct } : {}) });
  } else {
    return { version: 'none', problem: `no cgroup hierarchy with the cpuset and memory controllers is mounted at ${root}` };
  }
  try {
    await cgroups.prepare();
    // Limits written and removed once: a mount that lets directories be made but not configured shows here.
    if (options.probe) {
      const probe = `probe-${process.pid}`;
      await cgroups.create(probe, { ...options.probe, memoryBytes: 64 * 1024 * 1024 });
      await cgroups.remove(probe);
    }
  } catch (error) {
    return { version: cgroups.version, problem: `cannot create workload cgroups under ${cgroups.parents.join(', ')}: ${(error as Error).message}` };
  }
  return { version: cgroups.version, cgroups };
}
