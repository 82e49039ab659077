/**
 * Nothing a namespaced cluster creates may outlive its test run. A cluster is torn down by
 * `destroy()` (called from `afterAll` through the child-process bookkeeping); if the test
 * process exits without it (an uncaught error, process.exit), a synchronous exit hook does the
 * same; and if the test process was SIGKILLed, the next run sweeps what it left: namespaces,
 * bridges, veths and PostgreSQL directories whose run tag names a process that is gone.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BRIDGE_PREFIX, NAMESPACE_PREFIX, VETH_PREFIX, pidOfRunTag, run } from './netns-network.ts';
import { PG_DIR_PREFIX, stopPostgresDir } from './netns-postgres.ts';

const exitCleanups = new Set<() => void>();

process.once('exit', () => {
  for (const cleanup of exitCleanups) {
    try {
      cleanup();
    } catch {
      // best effort while exiting
    }
  }
});

/** Runs `cleanup` (synchronous) if the process exits before it is unregistered. */
export function onExitCleanup(cleanup: () => void): () => void {
  exitCleanups.add(cleanup);
  return () => exitCleanups.delete(cleanup);
}

function processAlive(pid: number): boolean {
  if (!Number.isFinite(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True for a name made by netns-network.ts (prefix + run tag) whose owner process is gone. */
function isOrphan(name: string, prefix: string): boolean {
  if (!name.startsWith(prefix)) return false;
  const rest = name.slice(prefix.length);
  // The tag starts with the owner's pid: 5 base-36 characters, then at least one for the run.
  if (!/^[0-9a-z]{6}/.test(rest)) return false;
  return !processAlive(pidOfRunTag(rest));
}

/** Deletes what crashed runs left behind (their owner pid no longer runs). Safe to call any time. */
export function sweepLeftovers(): void {
  for (const line of run('ip', ['netns', 'list'], { allowFailure: true }).split('\n')) {
    const name = line.split(' ')[0];
    if (!name || !isOrphan(name, NAMESPACE_PREFIX)) continue;
    for (const pid of run('ip', ['netns', 'pids', name], { allowFailure: true }).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone
      }
    }
    run('ip', ['netns', 'del', name], { allowFailure: true });
  }
  for (const [type, prefix] of [['bridge', BRIDGE_PREFIX], ['veth', VETH_PREFIX]]) {
    for (const line of run('ip', ['-o', 'link', 'show', 'type', type], { allowFailure: true }).split('\n')) {
      const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
      if (name && isOrphan(name, prefix)) run('ip', ['link', 'del', name], { allowFailure: true });
    }
  }
  for (const entry of existsSync(tmpdir()) ? readdirSync(tmpdir()) : []) {
    if (!isOrphan(entry, PG_DIR_PREFIX)) continue;
    const dir = path.join(tmpdir(), entry);
    stopPostgresDir(path.join(dir, 'data'));
    rmSync(dir, { recursive: true, force: true });
  }
}
