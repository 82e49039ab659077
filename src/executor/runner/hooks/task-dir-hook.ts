/**
 * Prestart hook 2: the task directory (the workload's working directory, under the data dir)
 * and its log directory. For host processes (no container to mount into), each volume's
 * `pathInContainer` becomes a symlink inside the task directory pointing at `pathOnHost`;
 * READ_ONLY cannot be enforced that way and is reported as an event.
 */
import { mkdirSync } from 'node:fs';
import { chown, mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { resolveUser } from '../../drivers/process/user-lookup.ts';
import type { PrestartHook, PrestartRequest, PrestartResponse } from '../hook-phases.ts';
import { resolveInTaskDir } from './task-path.ts';

/**
 * mkdir that costs one syscall in the usual case (parent present) instead of mkdir -p's walk;
 * synchronous because a µs-scale syscall is cheaper than a trip through the busy thread pool.
 */
function ensureDir(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT') throw error;
    mkdirSync(dir, { recursive: true });
  }
}

export const taskDirHook: PrestartHook = {
  name: 'task-dir',
  async prestart({ workload, paths, executor, capabilities, events }: Pick<PrestartRequest, 'workload' | 'paths' | 'executor' | 'capabilities' | 'events'>): Promise<PrestartResponse> {
    // Ephemeral simulation: a mock workload needs no directory at all.
    if (executor.ephemeral && capabilities.simulated) return { done: true };
    const spec = workload.spec;
    // Drivers that create the directories at start spare the hot path these syscalls, unless
    // something (configs, volume links, ownership) must be placed before the start.
    const neededNow = !capabilities.createsDirectories || (spec.configs?.length ?? 0) > 0 || (spec.volumes?.length ?? 0) > 0 || spec.userSpec;
    if (neededNow) {
      // Parents first; the log directory is the workload's own (or `logs/` in older data dirs).
      for (const dir of new Set([paths.root, paths.logDir, paths.taskDir])) ensureDir(dir);
    }
    if (spec.executable.type === 'PROCESS') {
      for (const volume of spec.volumes ?? []) {
        const link = resolveInTaskDir(paths.taskDir, volume.pathInContainer, 'volume');
        if (typeof link !== 'string') throw new Error(link.error);
        await mkdir(path.dirname(link), { recursive: true });
        await symlink(volume.pathOnHost, link).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'EEXIST') throw error;
        });
        if (volume.mode === 'READ_ONLY') {
          events.event('Volume', `${volume.pathInContainer} → ${volume.pathOnHost}: READ_ONLY is not enforced for host processes`);
        }
      }
      if (spec.userSpec) {
        const user = await resolveUser(spec.userSpec);
        await chown(paths.taskDir, user.uid, user.gid);
      }
    }
    return { done: true, state: { taskDir: paths.taskDir } };
  },
};
