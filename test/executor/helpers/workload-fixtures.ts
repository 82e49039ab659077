/** Builders for driver-level specs and temporary directories used by the executor tests. */
import { readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { WorkloadStartSpec } from '../../../src/executor/drivers/driver.ts';
import { isProcessAlive } from '../../../src/executor/drivers/process/process-group.ts';

export async function tempDir(prefix = 'corral-exec-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return {
    dir,
    cleanup: async () => {
      // Workloads and spawn helpers outlive a SIGKILLed executor by design; a test that failed
      // half-way leaves them behind (a `while [ ! -f go ]` loop spins forever once its
      // directory is gone), so whatever still runs in the directory goes with it.
      for (const pid of processesIn(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Processes whose working directory is `dir` or below it (also once it has been deleted). */
function processesIn(dir: string): number[] {
  return processesWhoseCwd((cwd) => cwd === dir || cwd.startsWith(`${dir}/`));
}

function processesWhoseCwd(matches: (cwd: string) => boolean): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cwd = readlinkSync(`/proc/${name}/cwd`).replace(/ \(deleted\)$/, '');
      if (matches(cwd)) pids.push(Number(name));
    } catch {
      // gone, or not ours to look at
    }
  }
  return pids;
}

/** A process workload spec with its directories created under `root`. */
export async function processSpec(root: string, command: string, args: string[] = [], env: Record<string, string> = {}): Promise<WorkloadStartSpec> {
  const instanceId = `TI-${randomUUID()}`;
  // The executor's layout: the workload's directory holds its logs and the task directory `work/`.
  const logDir = path.join(root, instanceId);
  const workDir = path.join(logDir, 'work');
  await mkdir(workDir, { recursive: true });
  return {
    kind: 'task', instanceId, ownerId: 'test-app',
    executable: { type: 'PROCESS', command }, args, env, workDir, logDir, configFiles: [],
    allocation: { numaNode: '0', cores: [0], memoryMB: 64 }, ports: [], volumes: [], labels: {},
  };
}

/** Polls until `predicate` holds or the deadline passes (no fixed sleeps). */
export async function eventually<T>(probe: () => T | Promise<T>, options: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
  throw new Error(`timed out waiting for ${options.what ?? 'condition'} (last value: ${JSON.stringify(last)})`);
}

/** Pids still alive (zombies count as dead) among `pids`. */
export async function survivors(pids: number[]): Promise<number[]> {
  const alive: number[] = [];
  for (const pid of pids) if (await isProcessAlive(pid)) alive.push(pid);
  return alive;
}

/** Live spawn helpers of a data dir (their cwd is `<dataDir>/spawn-helper`). */
export function spawnHelpersOf(dataDir: string): number[] {
  const dir = path.join(dataDir, 'spawn-helper');
  return processesWhoseCwd((cwd) => cwd === dir);
}
