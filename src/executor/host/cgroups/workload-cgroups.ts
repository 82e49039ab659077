/**
 * One cgroup per host-process workload: its cpuset (the allocated cores and their node's
 * memory), a hard memory limit without swap, and what it used. Two implementations of the same
 * port, for the two layouts of the cgroup file system (cgroup-v2.ts, cgroup-v1.ts); which one a
 * host has is found by open-cgroups.ts. Why a cgroup and how a process gets into it before it
 * runs a single instruction of its own: src/executor/host/cgroups/README.md.
 */
import { rmdirSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface CgroupLimits {
  cpus: number[];
  mems: number[];
  memoryBytes: number;
}

/** What a workload's cgroup says it used (cumulative CPU; memory now). */
export interface CgroupUsage {
  cpuSeconds: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  /** Times the kernel's OOM killer killed a process of this cgroup. */
  oomKills: number;
}

export interface WorkloadCgroups {
  readonly version: 'v1' | 'v2';
  /** Where workload cgroups are made (one directory per hierarchy on v1). */
  readonly parents: string[];
  /** Makes the parent(s) and hands them what workload cgroups need (again, if someone removed them). */
  prepare(): Promise<void>;
  /** Creates (or re-uses, after a restart) the cgroup `name` with `limits`; returns the files a process writes its pid to, to join it. */
  create(name: string, limits: CgroupLimits): Promise<string[]>;
  /** Live pids in the cgroup (empty when it does not exist). */
  pids(name: string): Promise<number[]>;
  /** Names of every workload cgroup under the parent. */
  list(): Promise<string[]>;
  usage(name: string): Promise<CgroupUsage | undefined>;
  /** How many times the kernel OOM-killed something in the cgroup (one file read: asked at every exit); undefined when it is gone. */
  oomKills(name: string): Promise<number | undefined>;
  /** The cpuset the kernel applies (`cpuset.cpus.effective` / `cpuset.effective_cpus`). */
  effectiveCpus(name: string): Promise<string | undefined>;
  /** Removes the (empty) cgroup; a missing one is fine. Throws when processes are still in it. */
  remove(name: string): Promise<void>;
  /** Removes the parent directories when no workload cgroup is left in them (the executor is going). */
  removeParentsIfEmpty(): Promise<void>;
}

export async function readText(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** Writes a control file; the error says which file and value, as the kernel's EINVAL says nothing. */
export async function writeControl(file: string, value: string): Promise<void> {
  try {
    await writeFile(file, value);
  } catch (error) {
    throw new Error(`cannot write "${value}" to ${file}: ${(error as Error).message}`, { cause: error });
  }
}

export function parsePids(text: string | undefined): number[] {
  return (text ?? '').split('\n').map((line) => Number(line.trim())).filter((pid) => Number.isInteger(pid) && pid > 0);
}

/** `key value` lines (memory.events, cpu.stat, memory.oom_control) as a map. */
export function parseKeyed(text: string | undefined): Map<string, number> {
  const result = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && Number.isFinite(Number(value))) result.set(key, Number(value));
  }
  return result;
}

/** rmdir that tolerates a cgroup already gone; EBUSY (processes left) is the caller's to handle. */
export async function removeDir(dir: string): Promise<void> {
  try {
    await rmdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Cgroup names are instance ids: keep them to one safe path component. */
export function safeName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name) || name.length > 200) throw new Error(`"${name}" cannot name a cgroup`);
  return name;
}

/**
 * rmdir of every parent, quietly: one still holding workload cgroups stays (they outlive the
 * executor). Synchronous on purpose: it runs as the executor exits, which does not wait.
 */
export async function removeEmptyDirs(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    try {
      rmdirSync(dir);
    } catch {
      // not empty, or already gone
    }
  }
}

/**
 * mkdir of every missing directory from `base` down to `target`, one level at a time, so a
 * refusal names its real reason (a recursive mkdir on a read-only mount reports ENOENT).
 * `made` is told each directory it created, parents first.
 */
export async function makeDirs(base: string, target: string, made: (dir: string, parent: string) => Promise<void> = async () => undefined): Promise<void> {
  let dir = base;
  for (const part of path.relative(base, target).split(path.sep).filter(Boolean)) {
    const child = path.join(dir, part);
    try {
      await mkdir(child);
      await made(child, dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    dir = child;
  }
}
