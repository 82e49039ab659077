/**
 * One agent per data dir: two agents restoring and driving the same workloads would fight.
 * The lock is a file holding the owner's pid; a lock left by a dead process is taken over.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

const heldHere = new Set<string>();

export class DataDirLockedError extends Error {
  readonly code = 'DATA_DIR_LOCKED';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface DataDirLock {
  release(): Promise<void>;
}

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true });
  const file = path.join(dataDir, 'agent.lock');
  if (heldHere.has(file)) throw new DataDirLockedError(`data dir ${dataDir} is already used by another executor in this process`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, String(process.pid), { flag: 'wx' });
      heldHere.add(file);
      return {
        release: async () => {
          heldHere.delete(file);
          await rm(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new DataDirLockedError(`data dir ${dataDir} is in use by another executor (pid ${owner}); give this one its own --data-dir`);
      }
      await rm(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new DataDirLockedError(`could not lock data dir ${dataDir}`);
}
