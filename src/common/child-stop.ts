/** Stopping a child process politely, then firmly: used by `corral dev` and the test harness. */
import type { ChildProcess } from 'node:child_process';

/**
 * Sends `signal`, waits for the child to exit, and SIGKILLs it if it is still there after
 * `timeoutMs`. Resolves when it has exited (at once if it already had).
 */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}
