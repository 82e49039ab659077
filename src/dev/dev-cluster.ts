/**
 * `corral dev`: a whole cluster in one command for a laptop or CI — one controller in this
 * process on embedded SQLite under the data dir, plus N local executors as child processes
 * (`dev-1` … `dev-N`, each with its own id), process driver (and docker when an engine answers).
 *
 * Lifecycle:
 *   start:  controller (store, migrations) ─▶ executors spawned ─▶ all registered ─▶ banner
 *   stop (Ctrl-C / SIGTERM / SIGHUP):
 *           executors are told over IPC that corral dev is stopping (src/common/dev-ipc.ts)
 *           ─▶ controller closes (no recovery or placement can start new work any more)
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
 * Once a stop has begun, though, an executor whose `corral dev` dies stops its workloads: the
 * user asked for everything to stop, and that must not depend on which of the two reached it first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultControllerConfig } from '../controller/config.ts';
import { startController, type RunningController } from '../controller/controller.ts';
import { stopChild } from '../common/child-stop.ts';
import { DEV_STOPPING } from '../common/dev-ipc.ts';
import { createLogger } from '../common/logger.ts';
import { openCgroups } from '../executor/host/cgroups/open-cgroups.ts';
import { readHostTopology } from '../executor/host/host-topology.ts';
import { DEV_MIN_CORES } from './dev-defaults.ts';

export interface DevOptions {
  port: number;
  host: string;
  dataDir: string;
  executors: number;
  /** Cores each dev executor offers; default: the machine's, but at least DEV_MIN_CORES. */
  executorCores?: number;
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

/** Whether executors of this machine could make workload cgroups (a probe made and removed). */
async function cgroupsWritable(): Promise<boolean> {
  const node = (await readHostTopology()).nodes.find((n) => n.cpus.length > 0);
  if (!node) return false;
  const setup = await openCgroups({ executorId: `dev-probe-${process.pid}`, probe: { cpus: [node.cpus[0]], mems: [Number(node.id)] } });
  await setup.cgroups?.removeParentsIfEmpty();
  return setup.cgroups !== undefined;
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
    // A laptop's Prometheus or curl should not need credentials (docs/security.md).
    metricsAuth: false,
  });
  const logger = createLogger('controller', { level: process.env.CORRAL_LOG_LEVEL ?? 'warn' });
  const controller = await startController(config, { logger }).catch((error: unknown) => {
    throw startFailure(error, options);
  });
  const url = controller.url;
  const machineCores = os.availableParallelism();
  const cores = options.executorCores ?? Math.max(DEV_MIN_CORES, machineCores);

  // A laptop rarely lets its user write cgroups: there dev runs PROCESS workloads unconfined
  // (each executor's start-up line says so) rather than refusing them.
  const unconfined = !(await cgroupsWritable());
  const executors: ChildProcess[] = [];
  for (let i = 1; i <= options.executors; i++) {
    const args = [
      BIN, 'executor',
      '--controller', url,
      '--name', `dev-${i}`,
      '--port', String(options.port + i),
      '--cores', String(cores),
      '--data-dir', path.join(dataDir, `executor-dev-${i}`),
      '--kill-workloads-on-exit',
    ];
    if (options.executorMemoryMb) args.push('--memory-mb', String(options.executorMemoryMb));
    if (unconfined) args.push('--no-enforce');
    const child = spawn(process.execPath, args, {
      detached: true,
      // The IPC channel is how an executor notices this process died without stopping it.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // The secret goes by environment: a command line is readable by every user of the machine (ps).
      env: { ...process.env, CORRAL_CLUSTER_SECRET: config.clusterSecret, CORRAL_LOG_LEVEL: process.env.CORRAL_LOG_LEVEL ?? 'warn' },
    });
    executors.push(child);
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const child of executors) {
        if (child.connected) child.send(DEV_STOPPING, (error) => error && out.write(`corral dev: could not tell executor ${child.pid} it is stopping: ${error.message}\n`));
      }
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
      `  executors:   ${options.executors} (${Array.from({ length: options.executors }, (_, i) => `dev-${i + 1}`).join(', ')}), ${cores} cores each`,
      ...(cores > machineCores
        ? [
          `               (this machine has ${machineCores}: the cores are counted, not pinned, so`,
          `               dev offers more to let apps scale; --executor-cores ${machineCores} offers the real count)`,
        ]
        : []),
      '  credentials: admin/admin (DROVE_EXTERNAL_ROOT), guest/guest (DROVE_EXTERNAL_READ_ONLY)',
      `  try:         curl -u admin:admin ${url}/apis/v1/cluster`,
      '  Ctrl-C stops the cluster and everything it started.',
      '',
    ].join('\n'),
  );
  return { url, controller, executors, stop };
}

/**
 * Start-up failures a person can fix, said so: a port in use names the port and suggests a free
 * one; anything else keeps its own message (a locked data dir already says what to do).
 */
function startFailure(error: unknown, options: DevOptions): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${options.host}:${options.port}`;
  if (code === 'EADDRINUSE') {
    return new Error(`port ${options.port} is already in use on ${options.host} (another corral dev, or another server); start on another one with --port, e.g. corral dev --port ${options.port + 100}`);
  }
  if (code === 'EACCES') return new Error(`not allowed to listen on ${where} (ports below 1024 need root); pick another with --port, e.g. --port 4000`);
  if (code === 'EADDRNOTAVAIL') return new Error(`${options.host} is not an address of this machine; pick another with --host, e.g. --host 127.0.0.1`);
  return error instanceof Error ? error : new Error(String(error));
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
