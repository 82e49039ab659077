/**
 * `startTestExecutor(controllerUrl, options)`: a real `corral executor` child process
 * (`node_modules/.bin/node bin/corral.js executor …`) with its own temp data dir, started and
 * awaited until the controller lists it as connected.
 *
 *   const exec = await startTestExecutor(controller.url, { secret: controller.config.clusterSecret, cores: 2 });
 *   exec.executorId;               // as the controller knows it
 *   await exec.kill();             // SIGKILL: the controller will declare it lost
 *   afterAll(stopAllTestProcesses);
 *
 * The executor reports `hostname` (default 127.0.0.1) and `port` (default: a free port, used
 * only to derive a unique executor id), so its id is `executorIdOf(hostname, port)`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { executorIdOf } from '../../src/common/ids.ts';
import { api, type ApiAuth } from './api-client.ts';
import { captureOutput, stopChild, trackChild, trackTempDir } from './child-processes.ts';
import { trackExecutorCgroups } from './test-cgroups.ts';
import { freePort } from './free-port.ts';
import { waitFor } from './wait-for.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE = path.join(ROOT, 'node_modules/.bin/node');

export interface TestExecutorOptions {
  /** Cluster secret (default: the dev default `corral-dev-secret`). */
  secret?: string;
  name?: string;
  hostname?: string;
  port?: number;
  cores?: number;
  memoryMb?: number;
  tags?: string[];
  labels?: Record<string, string>;
  rack?: string;
  rackLabels?: Record<string, string>;
  /** Data dir (reuse it to restart an executor on its persisted state); default a new temp dir. */
  dataDir?: string;
  driver?: 'auto' | 'mock';
  killWorkloadsOnExit?: boolean;
  extraArgs?: string[];
  env?: Record<string, string>;
  /** `CORRAL_LOG_LEVEL` of the child (default `warn`). */
  logLevel?: string;
  /** Wait until the controller lists it as connected (default true). */
  waitRegistered?: boolean;
  /** Credentials used to check registration (default admin/admin). */
  auth?: ApiAuth;
  /**
   * Run the agent command registered alone (test/helpers/executor-main.ts) instead of
   * `bin/corral.js executor`, e.g. while another command breaks the binary.
   */
  isolated?: boolean;
  timeoutMs?: number;
}

export interface TestExecutor {
  child: ChildProcess;
  executorId: string;
  hostname: string;
  port: number;
  dataDir: string;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
  /** Default SIGKILL. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again with the same id and data dir. */
  restart(overrides?: Partial<TestExecutorOptions>): Promise<TestExecutor>;
  output(): string;
}

export async function startTestExecutor(controllerUrl: string, options: TestExecutorOptions = {}): Promise<TestExecutor> {
  const hostname = options.hostname ?? '127.0.0.1';
  const port = options.port ?? await freePort();
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'corral-exec-'));
  if (!options.dataDir) trackTempDir(dataDir);
  const args = [
    'executor',
    '--controller', controllerUrl,
    '--secret', options.secret ?? 'corral-dev-secret',
    '--hostname', hostname,
    '--port', String(port),
    '--data-dir', dataDir,
    '--driver', options.driver ?? 'auto',
  ];
  if (options.name) args.push('--name', options.name);
  if (options.cores) args.push('--cores', String(options.cores));
  if (options.memoryMb) args.push('--memory-mb', String(options.memoryMb));
  if (options.tags?.length) args.push('--tags', options.tags.join(','));
  if (options.labels) args.push('--labels', Object.entries(options.labels).map(([k, v]) => `${k}=${v}`).join(','));
  if (options.rack) args.push('--rack', options.rack);
  if (options.rackLabels) args.push('--rack-labels', Object.entries(options.rackLabels).map(([k, v]) => `${k}=${v}`).join(','));
  if (options.killWorkloadsOnExit) args.push('--kill-workloads-on-exit');
  args.push(...options.extraArgs ?? []);

  const entry = options.isolated ? path.join(ROOT, 'test/helpers/executor-main.ts') : path.join(ROOT, 'bin/corral.js');
  const child = spawn(NODE, [entry, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CORRAL_LOG_LEVEL: options.logLevel ?? 'warn', ...options.env },
  });
  trackChild(child);
  trackExecutorCgroups(executorIdOf(hostname, port));
  const output = captureOutput(child);
  const executorId = executorIdOf(hostname, port);
  const executor: TestExecutor = {
    child,
    executorId,
    hostname,
    port,
    dataDir,
    stop: () => stopChild(child, 'SIGTERM'),
    kill: (signal = 'SIGKILL') => stopChild(child, signal),
    restart: async (overrides = {}) => {
      await stopChild(child, 'SIGTERM');
      return startTestExecutor(controllerUrl, { ...options, hostname, port, dataDir, ...overrides });
    },
    output,
  };
  if (options.waitRegistered ?? true) {
    const client = api(controllerUrl, options.auth ?? { user: 'admin', password: 'admin' });
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`test executor exited (${signal ?? code}) before registering:\n${output()}`)));
    });
    exited.catch(() => undefined);
    await Promise.race([
      exited,
      waitFor(async () => {
        const res = await client.get(`/apis/v1/cluster/executors/${executorId}`);
        return res.body?.status === 'SUCCESS' && res.body.data.connected !== false;
      }, { timeoutMs: options.timeoutMs ?? 20_000, intervalMs: 50, message: `executor ${hostname}:${port} to register` }),
    ]).catch(async (error: unknown) => {
      await stopChild(child, 'SIGKILL');
      throw new Error(`${(error as Error).message}\n--- executor output ---\n${output()}`);
    });
  }
  return executor;
}
