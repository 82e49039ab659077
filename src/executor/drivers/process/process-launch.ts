/**
 * Starting a process workload from the executor itself (`spawnVia: 'direct'`, and the fallback
 * when no spawn helper can be reached; the driver then wraps the command in the exit-status
 * shell), and the pieces both ways of starting share.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkloadStartSpec } from '../driver.ts';
import { parseProcStat } from './process-group.ts';
import type { SpawnRequest, SpawnedChild } from './spawn-client.ts';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Clock ticks since boot when the process started (0 when /proc cannot say). */
export function processStartTime(pid: number): number {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.startTime ?? 0;
  } catch {
    return 0; // /proc unavailable: recover then relies on the exit status alone.
  }
}

/** The directories a start creates, parents first (so each costs one mkdir). */
export function directoriesOf(spec: WorkloadStartSpec): string[] {
  const parent = path.dirname(spec.workDir);
  if (parent === spec.logDir) return [spec.logDir, spec.workDir]; // the workload's dir holds its logs and work/
  return parent === path.dirname(spec.logDir) ? [parent, spec.workDir, spec.logDir] : [spec.workDir, spec.logDir];
}

/**
 * Forks from the executor itself. Listeners are attached before anything awaits: a short
 * command can exit within the next turn, and a missed 'exit' would leave the task RUNNING.
 */
export async function spawnDirect(request: SpawnRequest): Promise<SpawnedChild> {
  // Synchronous: spawn() blocks far longer than these syscalls, and skipping the thread-pool
  // round trips is measurable at hundreds of tasks per second.
  for (const dir of request.dirs ?? []) mkdirSync(dir, { recursive: true });

  const output = openSync(request.log, 'a');
  let exitLog: number | undefined;
  let child: ChildProcess;
  try {
    // The wrapper shell appends its line to a shared exit log through fd 3 (see process-driver.ts).
    if (request.exit.key !== undefined) exitLog = openSync(request.exit.file, 'a');
    child = spawn(request.file, request.args, {
      cwd: request.cwd, env: request.env, detached: true, uid: request.uid, gid: request.gid,
      stdio: exitLog === undefined ? ['ignore', output, output] : ['ignore', output, output, exitLog],
    });
  } finally {
    // The child has its own copies of the descriptors once spawn() returned.
    closeSync(output);
    if (exitLog !== undefined) closeSync(exitLog);
  }
  const failed = new Promise<Error>((resolve) => child.once('error', resolve));
  const exit = new Promise<ChildExit | 'lost'>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    failed.then(() => resolve('lost'), () => undefined);
  });
  const pid = child.pid;
  if (pid === undefined) throw await failed;
  child.unref();
  // Read now: the child cannot have been reaped before the event loop turns.
  return { pid, startTime: processStartTime(pid), exit };
}
