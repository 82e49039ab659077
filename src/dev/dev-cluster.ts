/**
 * `corral dev`: a whole cluster in one command for a laptop or CI — one controller in this
 * process on embedded SQLite under the data dir, plus N local executors as child processes
 * (`dev-1` … `dev-N`, each with its own id), process driver (and docker when an engine answers).
 *
 * Lifecycle:
 *   start:  controller (store, migrations) ─▶ executors spawned ─▶ all registered ─▶ banner
 *   stop (Ctrl-C / SIGTERM / SIGHUP):
 *           controller closes (no recovery or placement can start new work any more)
 *           ─▶ executors get SIGTERM and, started with --kill-workloads-on-exit, stop their
 *           workloads ─▶ exit. Nothing started here outlives it.
 *
 * Why the controller goes first: while it runs, every workload an executor stops on its way out
 * looks like an outage and is replaced at once — on an executor that is itself exiting, so the
 * replacement outlived `corral dev`. The executors get their own process group for the same
 * reason: a terminal's Ctrl-C must reach only this process, which then stops them in this order.
 * The workloads' final states reach the store when `corral dev` next starts on the data dir (the
 * executors keep their records and report them on reconnecting).
 *
 * If this process dies without stopping them (SIGKILL, a crash), each executor sees its IPC
 * channel close and exits leaving its workloads running, as an executor does when its controller
 * fails; the next `corral dev` on the data dir re-attaches to them (executors re-attach on start).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultControllerConfig } from '../controller/config.ts';
import { startController, type RunningController } from '../controller/controller.ts';
import { stopChild } from '../common/child-stop.ts';
import { createLogger } from '../common/logger.ts';

export interface DevOptions {
  port: number;
  host: string;
  dataDir: string;
  executors: number;
  /** Cores each dev executor advertises (the process driver does not pin cores). */
  executorCores: number;
  executorMemoryMb?: number;
  /** Where to print the banner and progress; tests pass their own. */
  out?: NodeJS.WritableStream;
}

export interface DevCluster {
  url: string;
  controller: RunningController;
  executors: ChildProcess[];
  stop(): Promise<void>;
}

const BIN = fileURLToPath(new URL('../../bin/corral.js', import.meta.url));

export async function startDevCluster(options: DevOptions): Promise<DevCluster> {
  const out = options.out ?? process.stdout;
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const config = defaultControllerConfig({
    host: options.host,
    port: options.port,
    store: `sqlite:${path.join(dataDir, 'controller.db')}`,
  });
  const logger = createLogger('controller', { level: process.env.CORRAL_LOG_LEVEL ?? 'warn' });
  const controller = await startController(config, { logger });
  const url = controller.url;

  const executors: ChildProcess[] = [];
  for (let i = 1; i <= options.executors; i++) {
    const args = [
      BIN, 'executor',
      '--controller', url,
      '--secret', config.clusterSecret,
      '--name', `dev-${i}`,
      '--port', String(options.port + i),
      '--cores', String(options.executorCores),
      '--data-dir', path.join(dataDir, `executor-dev-${i}`),
      '--kill-workloads-on-exit',
    ];
    if (options.executorMemoryMb) args.push('--memory-mb', String(options.executorMemoryMb));
    const child = spawn(process.execPath, args, {
      detached: true,
      // The IPC channel is how an executor notices this process died without stopping it.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, CORRAL_LOG_LEVEL: process.env.CORRAL_LOG_LEVEL ?? 'warn' },
    });
    executors.push(child);
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await controller.close();
      await Promise.all(executors.map((child) => stopChild(child, 'SIGTERM', 30_000)));
    })();
    return stopping;
  };

  await waitForExecutors(controller, options.executors, 20_000).catch(async (error) => {
    await stop();
    throw error;
  });

  out.write(
    [
      '',
      `corral dev cluster is up: ${url}`,
      `  data dir:    ${dataDir}`,
      `  executors:   ${options.executors} (${Array.from({ length: options.executors }, (_, i) => `dev-${i + 1}`).join(', ')})`,
      '  credentials: admin/admin (DROVE_EXTERNAL_ROOT), guest/guest (DROVE_EXTERNAL_READ_ONLY)',
      `  try:         curl -u admin:admin ${url}/apis/v1/cluster`,
      '  Ctrl-C stops the cluster and everything it started.',
      '',
    ].join('\n'),
  );
  return { url, controller, executors, stop };
}

async function waitForExecutors(controller: RunningController, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const connected = controller.ctx.executors.list().filter((e) => e.connected).length;
    if (connected >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`only some of the ${count} dev executors registered within ${timeoutMs / 1000} s; see their output above`);
}
