/**
 * Workload cgroups of the executors a test file started (src/executor/host/cgroups/README.md):
 * an executor that stops on its own removes its workloads' cgroups, but one the harness SIGKILLs
 * — or whose workloads the harness kills behind its back — leaves them. Removed after the file
 * (empty ones only: the kernel refuses to remove a cgroup with processes, and the harness has
 * killed those by then). Only this machine's default layout (cgroup v1 below the test process's
 * own cgroup, v2 under /corral.slice) and only the executors this worker started: other test
 * files running at the same time keep theirs.
 */
import { readdirSync, readFileSync, rmdirSync } from 'node:fs';
import path from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';
const executorIds = new Set<string>();

export function trackExecutorCgroups(executorId: string): void {
  executorIds.add(executorId);
}

function ownPath(controller: string): string {
  try {
    for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
      const [, controllers, where] = line.split(':');
      if (controllers?.split(',').includes(controller)) return where || '/';
    }
  } catch {
    // no /proc: nothing to clean
  }
  return '/';
}

function executorDirs(executorId: string): string[] {
  return [
    ...['cpuset', 'memory', 'cpuacct'].map((c) => path.join(CGROUP_ROOT, c, ownPath(c), 'corral', executorId)),
    path.join(CGROUP_ROOT, 'corral.slice', executorId),
  ];
}

/** rmdir of every tracked executor's workload cgroups, then its own directory; returns what is left. */
export function removeTrackedCgroups(): string[] {
  const left: string[] = [];
  for (const id of executorIds) {
    let clean = true;
    for (const dir of executorDirs(id)) {
      let entries: string[];
      try {
        entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
      } catch {
        continue; // not there
      }
      for (const name of entries) {
        try {
          rmdirSync(path.join(dir, name));
        } catch {
          left.push(path.join(dir, name));
          clean = false;
        }
      }
      try {
        rmdirSync(dir);
      } catch {
        clean = false;
      }
    }
    if (clean) executorIds.delete(id);
  }
  return left;
}
