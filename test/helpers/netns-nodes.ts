/**
 * Controllers and executors as processes on a simulated host: the real binary
 * (`node bin/corral.js controller|executor …`) started with `ip netns exec <namespace>`, so it
 * sees only that host's network — its address on the bridge and its own loopback. Each host
 * has its own port space, so a controller listens on the same port (4000) on every host.
 *
 * The process `ip netns exec` starts is the node process itself (ip execs into it), so its pid
 * is the node's: signals (SIGSTOP/SIGCONT to pause a controller, SIGKILL) reach it directly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { executorIdOf } from '../../src/common/ids.ts';
import { controllerConfigToFile } from '../../src/controller/config-loader.ts';
import { defaultControllerConfig, type ControllerConfig } from '../../src/controller/config.ts';
import { api, type ApiAuth, type ApiClient } from './api-client.ts';
import { captureOutput, stopChild, trackChild, trackTempDir } from './child-processes.ts';
import type { NetnsHost } from './netns-network.ts';
import { waitFor } from './wait-for.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE = path.join(ROOT, 'node_modules/.bin/node');
const CORRAL = path.join(ROOT, 'bin/corral.js');

/** The port every controller listens on (each host has its own ports). */
export const CONTROLLER_PORT = 4000;
/** The port that, with the host's address, makes an executor's id (nothing listens on it). */
export const EXECUTOR_PORT = 3000;
/** The cluster secret of namespaced clusters (beyond loopback the dev secret is refused). */
export const NETNS_CLUSTER_SECRET = 'netns-test-cluster-secret';

function spawnOnHost(host: NetnsHost, args: string[], logLevel: string, env: Record<string, string> = {}): { child: ChildProcess; output: () => string } {
  const child = spawn('ip', ['netns', 'exec', host.namespace, NODE, CORRAL, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CORRAL_LOG_LEVEL: logLevel, ...env },
  });
  trackChild(child);
  return { child, output: captureOutput(child) };
}

/** Resolves when `ready` holds, rejects when the child exits first (with its output). */
async function readyOrExited(child: ChildProcess, output: () => string, what: string, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`${what} exited (${signal ?? code}) before it was ready:\n${output()}`)));
  });
  exited.catch(() => undefined);
  await Promise.race([exited, waitFor(ready, { timeoutMs, intervalMs: 100, message: what })]).catch(async (error: unknown) => {
    await stopChild(child, 'SIGKILL');
    throw new Error(`${(error as Error).message}\n--- output ---\n${output()}`, { cause: error });
  });
}

/** A corral process on a simulated host: started with `launch`, watched, stopped and killed. */
class NetnsProcess {
  readonly host: NetnsHost;
  child: ChildProcess | undefined;
  private outputOf: () => string = () => '';

  constructor(host: NetnsHost) {
    this.host = host;
  }

  /** Spawns `bin/corral.js <args>` on the host; its output is kept for `output()`. */
  protected launch(args: string[], logLevel: string): { child: ChildProcess; output: () => string } {
    const launched = spawnOnHost(this.host, args, logLevel);
    this.child = launched.child;
    this.outputOf = launched.output;
    return launched;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends a signal without waiting (SIGSTOP / SIGCONT to pause and wake it). */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** SIGTERM, then SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child, 'SIGTERM');
  }

  /** Kills with `signal` (default SIGKILL) and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child) await stopChild(this.child, signal);
  }

  output(): string {
    return this.outputOf();
  }
}

export interface NetnsControllerOptions {
  store: string;
  /** Config overrides (short grace times for tests). */
  config?: Partial<ControllerConfig>;
  /** Keys added to the config file as written (settings this code's ControllerConfig does not know yet). */
  fileExtras?: Record<string, unknown>;
  /** Extra command-line flags (e.g. `--advertise-url`). */
  extraArgs?: string[];
  logLevel?: string;
  startTimeoutMs?: number;
}

/** A `corral controller` on a host, listening on `http://<host address>:4000`. */
export class NetnsController extends NetnsProcess {
  readonly url: string;
  readonly config: ControllerConfig;
  readonly dataDir: string;
  private readonly options: NetnsControllerOptions;

  constructor(host: NetnsHost, options: NetnsControllerOptions) {
    super(host);
    this.options = options;
    this.url = `http://${host.address}:${CONTROLLER_PORT}`;
    this.dataDir = mkdtempSync(path.join(tmpdir(), `corral-netns-ctl-${host.label}-`));
    trackTempDir(this.dataDir);
    this.config = defaultControllerConfig({
      host: host.address,
      port: CONTROLLER_PORT,
      store: options.store,
      clusterSecret: NETNS_CLUSTER_SECRET,
      ...options.config,
    });
    const file = { ...controllerConfigToFile(this.config), ...options.fileExtras };
    writeFileSync(this.configFile, JSON.stringify(file, null, 2));
  }

  get configFile(): string {
    return path.join(this.dataDir, 'controller.json');
  }

  /** Starts the process and waits until it answers HTTP (any status: a follower answers too). */
  async start(): Promise<this> {
    const { child, output } = this.launch(['controller', '--config', this.configFile, ...this.options.extraArgs ?? []], this.options.logLevel ?? 'warn');
    await readyOrExited(child, output, `controller on ${this.host.label} (${this.url})`, async () => (await fetch(`${this.url}/apis/v1/ping`, { signal: AbortSignal.timeout(2_000) })).status > 0,
      this.options.startTimeoutMs ?? 60_000);
    return this;
  }

  /** A client whose requests give up after 10 s (a host cut off never answers). */
  api(auth?: ApiAuth | false): ApiClient {
    return api(this.url, auth, { timeoutMs: 10_000 });
  }
}

export interface NetnsExecutorOptions {
  /** Every controller URL the executor is given (it finds the leader among them). */
  controllers: string[];
  cores?: number;
  memoryMb?: number;
  tags?: string[];
  extraArgs?: string[];
  logLevel?: string;
  /** Controller URL whose API must list it as connected before `start` resolves (default the first; `false`: do not wait). */
  waitRegisteredAt?: string | false;
  auth?: ApiAuth;
  startTimeoutMs?: number;
}

/** A `corral executor` on a host; its id is `<host address>:3000`'s and its workloads run on the host. */
export class NetnsExecutor extends NetnsProcess {
  readonly executorId: string;
  readonly dataDir: string;
  private readonly options: NetnsExecutorOptions;

  constructor(host: NetnsHost, options: NetnsExecutorOptions) {
    super(host);
    this.options = options;
    this.executorId = executorIdOf(host.address, EXECUTOR_PORT);
    this.dataDir = mkdtempSync(path.join(tmpdir(), `corral-netns-exec-${host.label}-`));
    trackTempDir(this.dataDir);
  }

  /** Starts the agent (again, on the same data dir after a stop) and waits for its registration. */
  async start(): Promise<this> {
    const o = this.options;
    const args = [
      'executor',
      '--controller', o.controllers.join(','),
      '--secret', NETNS_CLUSTER_SECRET,
      '--hostname', this.host.address,
      '--port', String(EXECUTOR_PORT),
      '--name', this.host.label,
      '--data-dir', this.dataDir,
      '--cores', String(o.cores ?? 4),
      '--memory-mb', String(o.memoryMb ?? 4096),
      // `ip netns exec` mounts a fresh sysfs without the cgroup hierarchies, so processes cannot be
      // confined inside a simulated host; these tests are about the network, not isolation.
      '--no-enforce',
      ...o.tags?.length ? ['--tags', o.tags.join(',')] : [],
      ...o.extraArgs ?? [],
    ];
    const { child, output } = this.launch(args, o.logLevel ?? 'warn');
    const at = o.waitRegisteredAt === undefined ? o.controllers[0] : o.waitRegisteredAt;
    if (at !== false) {
      const client = api(at, o.auth ?? { user: 'admin', password: 'admin' }, { timeoutMs: 5_000 });
      await readyOrExited(child, output, `executor on ${this.host.label} to register with ${at}`, async () => {
        const res = await client.get(`/apis/v1/cluster/executors/${this.executorId}`);
        return res.body?.status === 'SUCCESS' && res.body.data.connected !== false;
      }, o.startTimeoutMs ?? 60_000);
    }
    return this;
  }
}
