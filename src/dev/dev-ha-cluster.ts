/**
 * `corral dev --controllers N --store postgres://…`: a local high-availability cluster (docs/ha.md)
 * — N `corral controller` processes on the one PostgreSQL store, listening on `--port`,
 * `--port`+1, …, and the executors (each given every controller URL) on the ports above those.
 *
 *   start:  controllers spawned ─▶ one leads, the others follow ─▶ executors spawned ─▶ all
 *           registered with the leader ─▶ banner with every URL
 *   stop:   executors told over IPC (as in dev-cluster.ts) ─▶ controllers SIGTERM (the leader
 *           hands over on its way out) ─▶ executors SIGTERM, stopping their workloads
 *
 * Every process is its own: kill one controller (`kill -9`) to watch another take over.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild } from '../common/child-stop.ts';
import { DEV_STOPPING } from '../common/dev-ipc.ts';
import { DEV_CLUSTER_SECRET } from '../controller/config.ts';
import { DEV_MIN_CORES } from './dev-defaults.ts';

export interface DevHaOptions {
  port: number;
  host: string;
  dataDir: string;
  executors: number;
  controllers: number;
  /** A postgres:// URL: the store every controller shares. */
  store: string;
  executorCores?: number;
  executorMemoryMb?: number;
  out?: NodeJS.WritableStream;
}

export interface DevHaCluster {
  urls: string[];
  controllers: ChildProcess[];
  executors: ChildProcess[];
  stop(): Promise<void>;
}

const BIN = fileURLToPath(new URL('../../bin/corral.js', import.meta.url));
const AUTH = `Basic ${Buffer.from('admin:admin').toString('base64')}`;

async function ping(url: string): Promise<number> {
  try {
    const response = await fetch(`${url}/apis/v1/ping`, { headers: { authorization: AUTH }, signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.status;
  } catch {
    return 0;
  }
}

export async function startDevHaCluster(options: DevHaOptions): Promise<DevHaCluster> {
  if (!/^postgres(ql)?:\/\//i.test(options.store)) {
    throw new Error(`--controllers ${options.controllers} needs a PostgreSQL store that every controller shares (--store postgres://USER@HOST:PORT/DATABASE); SQLite serves one controller`);
  }
  const out = options.out ?? process.stdout;
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const urlHost = options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  const urls = Array.from({ length: options.controllers }, (_, i) => `http://${urlHost}:${options.port + i}`);
  const env = { ...process.env, CORRAL_CLUSTER_SECRET: DEV_CLUSTER_SECRET, CORRAL_LOG_LEVEL: process.env.CORRAL_LOG_LEVEL ?? 'warn' };
  const controllers = urls.map((url, i) => spawn(process.execPath, [
    BIN, 'controller', '--host', options.host, '--port', String(options.port + i), '--store', options.store, '--advertise-url', url,
  ], { detached: true, stdio: ['ignore', 'inherit', 'inherit'], env }));
  const executors: ChildProcess[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const child of executors) if (child.connected) child.send(DEV_STOPPING, () => undefined);
      await Promise.all(controllers.map((child) => stopChild(child, 'SIGTERM', 30_000)));
      await Promise.all(executors.map((child) => stopChild(child, 'SIGTERM', 30_000)));
    })();
    return stopping;
  };
  try {
    const exited = new Promise<never>((_, reject) => {
      for (const child of controllers) child.once('exit', (code) => reject(new Error(`a controller exited (code ${code}) while the cluster was starting; see its output above`)));
    });
    exited.catch(() => undefined);
    const settled = async () => {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const statuses = await Promise.all(urls.map(ping));
        if (statuses.filter((s) => s === 200).length === 1 && statuses.filter((s) => s === 400).length === urls.length - 1) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error('the controllers did not elect a leader within 60 s; see their output above');
    };
    await Promise.race([exited, settled()]);

    const cores = options.executorCores ?? Math.max(DEV_MIN_CORES, os.availableParallelism());
    for (let i = 1; i <= options.executors; i++) {
      const args = [
        BIN, 'executor', '--controller', urls.join(','), '--name', `dev-${i}`, '--port', String(options.port + options.controllers - 1 + i),
        '--cores', String(cores), '--data-dir', path.join(dataDir, `executor-dev-${i}`), '--kill-workloads-on-exit',
      ];
      if (options.executorMemoryMb) args.push('--memory-mb', String(options.executorMemoryMb));
      executors.push(spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env }));
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      const leader = (await Promise.all(urls.map(async (url) => ((await ping(url)) === 200 ? url : undefined)))).find(Boolean);
      const summary = leader ? await fetch(`${leader}/apis/v1/cluster`, { headers: { authorization: AUTH } }).then((r) => r.json() as Promise<{ data?: { numExecutors?: number } }>).catch(() => undefined) : undefined;
      if ((summary?.data?.numExecutors ?? 0) >= options.executors) break;
      if (Date.now() > deadline) throw new Error(`only some of the ${options.executors} dev executors registered within 30 s; see their output above`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  out.write([
    '',
    `corral dev HA cluster is up: ${options.controllers} controllers on ${options.store.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')}`,
    ...urls.map((url, i) => `  controller ${i + 1}: ${url}`),
    `  executors:    ${options.executors} (dev-1 … dev-${options.executors}), ports ${options.port + options.controllers}…`,
    '  credentials:  admin/admin (DROVE_EXTERNAL_ROOT), guest/guest (DROVE_EXTERNAL_READ_ONLY)',
    `  try:          corral -e ${urls.join(',')} cluster summary`,
    '  Kill the leader (kill -9) to watch another one take over; Ctrl-C stops everything.',
    '',
  ].join('\n'));
  return { urls, controllers, executors, stop };
}
