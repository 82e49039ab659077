/**
 * A real `corral dev` cluster (controller + process-driver executors) started through the
 * binary, for CLI tests. `stop()` sends SIGTERM, which stops the executors' workloads too.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { stopChild } from '../../helpers/child-processes.ts';
import { freePort } from '../../helpers/free-port.ts';
import { BIN, COMPILE_CACHE, NODE, REPO, captureCli, tempDir, waitForOutput } from './run-cli.ts';

export interface DevCluster {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startDevCluster(options: { executors?: number } = {}): Promise<DevCluster> {
  const port = await freePort();
  const dataDir = tempDir('corral-cli-dev-');
  const child = captureCli(spawn(NODE, [BIN, 'dev', '--port', String(port), '--data-dir', dataDir, '--executors', String(options.executors ?? 1), '--executor-cores', '8'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CORRAL_LOG_LEVEL: 'warn', NODE_COMPILE_CACHE: COMPILE_CACHE },
  }));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`corral dev exited (${code}) before it was up`))));
  exited.catch(() => undefined);
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([waitForOutput(child, `corral dev cluster is up: ${url}`, 30_000), exited]);
  return {
    url,
    dataDir,
    stop: async () => {
      await stopChild(child, 'SIGTERM', 30_000);
      rmSync(path.resolve(dataDir), { recursive: true, force: true });
    },
  };
}
