/**
 * Bookkeeping for the child processes, in-process controllers and temp dirs tests create, so
 * none outlives the test file: `stopAllTestProcesses()` runs in `afterAll` of every test file
 * that imports the harness (registered here; calling it again yourself is harmless), and any
 * survivor is SIGKILLed synchronously when the worker process exits.
 */
import { type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll } from 'vitest';
import { stopChild } from '../../src/common/child-stop.ts';
import { processesWorkingUnder } from './process-scan.ts';
import { removeTrackedCgroups } from './test-cgroups.ts';

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const stoppers = new Set<() => Promise<void>>();

process.once('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  killWorkloadsUnder(tempDirs);
  removeTrackedCgroups();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * SIGKILLs every process (and its group) working inside `dirs`: workloads that executors under
 * test left running on purpose (shutdown without --kill-workloads-on-exit, a SIGKILLed
 * executor) must not outlive the test file that started them.
 */
function killWorkloadsUnder(dirs: Iterable<string>): void {
  for (const { pid, pgid } of processesWorkingUnder(dirs)) {
    for (const target of pgid > 1 ? [-pgid, pid] : [pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

export function trackTempDir(dir: string): void {
  tempDirs.add(dir);
}

/** Registers a graceful stop (in-process controllers); returns an unregister function. */
export function trackStopper(stop: () => Promise<void>): () => void {
  stoppers.add(stop);
  return () => stoppers.delete(stop);
}

/** Sends `signal`, waits for exit up to `timeoutMs`, then SIGKILLs (the one `corral dev` uses). */
export { stopChild };

/**
 * Stops every in-process controller, then every child process (SIGTERM, SIGKILL after 10 s),
 * and deletes the temp dirs. Call it in `afterAll`.
 */
export async function stopAllTestProcesses(): Promise<void> {
  const pending = [...stoppers];
  stoppers.clear();
  await Promise.allSettled(pending.map((stop) => stop()));
  await Promise.allSettled([...children].map((child) => stopChild(child)));
  killWorkloadsUnder(tempDirs);
  // The killed workloads leave their cgroups a moment later.
  for (let tries = 0; removeTrackedCgroups().length > 0 && tries < 40; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Keeps the last `limit` characters a child wrote, for error messages. */
export function captureOutput(child: ChildProcess, limit = 64 * 1024): () => string {
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > limit) output = output.slice(-limit);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return () => output;
}

// Vitest evaluates this module once per test file (isolated modules), during collection.
afterAll(stopAllTestProcesses);
