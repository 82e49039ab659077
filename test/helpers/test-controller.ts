/**
 * `startTestController()`: a real controller on a free port with a temp SQLite file, either in
 * this process (fast; `ctx` available for white-box checks) or as a child process running the
 * `corral controller` command (for restart and kill tests).
 *
 *   const controller = await startTestController({ config: { executorLostAfterMs: 1_500 } });
 *   const { body } = await controller.api().get('/apis/v1/cluster');
 *   const again = await controller.restart();            // same port, same database
 *   afterAll(stopAllTestProcesses);                      // from ./child-processes.ts
 *
 * Modules: in-process controllers run `options.modules` when given, else the default list
 * (tasks + applications, whichever exist); child controllers always run the default list.
 * Child controllers run `bin/corral.js controller --config FILE` (the config written as JSON in
 * the data dir), stdout/stderr captured (`output()`), log level `warn` unless `logLevel`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../src/common/clock.ts';
import { createLogger, type Logger } from '../../src/common/logger.ts';
import { controllerConfigToFile } from '../../src/controller/config-loader.ts';
import { defaultControllerConfig, type ControllerConfig } from '../../src/controller/config.ts';
import type { ControllerContext } from '../../src/controller/context.ts';
import { startController, type ModuleFactory, type RunningController } from '../../src/controller/controller.ts';
import { api, type ApiAuth, type ApiClient } from './api-client.ts';
import { captureOutput, stopChild, trackChild, trackStopper, trackTempDir } from './child-processes.ts';
import { freePort } from './free-port.ts';
import { waitFor } from './wait-for.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE = path.join(ROOT, 'node_modules/.bin/node');

export interface TestControllerOptions {
  /** Default `in-process`. */
  mode?: 'in-process' | 'child';
  /** Config overrides (port, store and host are chosen for you unless given). */
  config?: Partial<ControllerConfig>;
  /** Data directory to use (restart on the same database); default a new temp dir. */
  dataDir?: string;
  /** In-process only: the domain modules (default: the default module list). */
  modules?: ModuleFactory[];
  /** In-process only. */
  clock?: Clock;
  /** In-process only (default: a `warn`-level logger). */
  logger?: Logger;
  /** In-process only: SSE heartbeat period. */
  eventStreamHeartbeatMs?: number;
  /** Child only: `CORRAL_LOG_LEVEL` of the child (default `warn`). */
  logLevel?: string;
  /**
   * Child only: run the `controller` command registered alone (test/helpers/controller-main.ts)
   * instead of `bin/corral.js controller`, e.g. while another command breaks the binary.
   */
  isolated?: boolean;
  /** Child only: how long to wait for it to listen (default 20 s). */
  startTimeoutMs?: number;
  /** Child only: more environment for the child. */
  env?: Record<string, string>;
}

export interface TestController {
  mode: 'in-process' | 'child';
  url: string;
  port: number;
  config: ControllerConfig;
  dataDir: string;
  /** In-process only. */
  ctx?: ControllerContext;
  running?: RunningController;
  /** Child only. */
  child?: ChildProcess;
  /** A client for this controller (default admin/admin; `false` for no credentials). */
  api(auth?: ApiAuth | false): ApiClient;
  /** Graceful stop (child: SIGTERM, then SIGKILL after 10 s). */
  stop(): Promise<void>;
  /** Child only: kill with a signal (default SIGKILL) and wait for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops (if running) and starts again with the same port, config and database. */
  restart(overrides?: Partial<TestControllerOptions>): Promise<TestController>;
  /** Child only: what it wrote to stdout/stderr (last 64 KiB). */
  output(): string;
}

/** Starts a controller for a test; see the file comment. */
export async function startTestController(options: TestControllerOptions = {}): Promise<TestController> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'corral-test-'));
  if (!options.dataDir) trackTempDir(dataDir);
  const config = defaultControllerConfig({
    host: '127.0.0.1',
    store: `sqlite:${path.join(dataDir, 'controller.db')}`,
    // Tests never crash the OS: skip the fsync per commit the default durability pays (a test
    // of durability itself passes storeDurability: 'FULL').
    storeDurability: 'PROCESS',
    ...options.config,
    port: options.config?.port || await freePort(),
  });
  const resolved: TestControllerOptions = { ...options, dataDir, config };
  return (options.mode ?? 'in-process') === 'child' ? startChild(config, resolved) : startInProcess(config, resolved);
}

async function startInProcess(config: ControllerConfig, options: TestControllerOptions): Promise<TestController> {
  const running = await startController(config, {
    modules: options.modules,
    clock: options.clock,
    logger: options.logger ?? createLogger('test-controller', { level: process.env.CORRAL_LOG_LEVEL ?? 'warn' }),
    eventStreamHeartbeatMs: options.eventStreamHeartbeatMs,
  });
  const untrack = trackStopper(() => running.close());
  const stop = async () => {
    untrack();
    await running.close();
  };
  return {
    mode: 'in-process',
    url: running.url,
    port: config.port,
    config,
    dataDir: options.dataDir!,
    ctx: running.ctx,
    running,
    api: (auth) => api(running.url, auth),
    stop,
    kill: () => Promise.reject(new Error('kill() needs a child-process controller (mode: "child")')),
    restart: async (overrides = {}) => {
      await stop();
      return startTestController({ ...options, ...overrides, mode: 'in-process', config: { ...config, ...overrides.config } });
    },
    output: () => '',
  };
}

async function startChild(config: ControllerConfig, options: TestControllerOptions): Promise<TestController> {
  const configFile = path.join(options.dataDir!, 'controller.json');
  writeFileSync(configFile, JSON.stringify(controllerConfigToFile(config), null, 2));
  const entry = options.isolated ? [path.join(ROOT, 'test/helpers/controller-main.ts')] : [path.join(ROOT, 'bin/corral.js')];
  const child = spawn(NODE, [...entry, 'controller', '--config', configFile], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CORRAL_LOG_LEVEL: options.logLevel ?? 'warn', ...options.env },
  });
  trackChild(child);
  const output = captureOutput(child);
  const url = `http://127.0.0.1:${config.port}`;
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`test controller exited (${signal ?? code}) before answering:\n${output()}`)));
  });
  exited.catch(() => undefined);
  await Promise.race([
    exited,
    // Any answer means it listens: readiness does not depend on which users the config has.
    waitFor(async () => (await fetch(`${url}/apis/v1/ping`)).status > 0, {
      timeoutMs: options.startTimeoutMs ?? 20_000, intervalMs: 50, message: `the child controller on ${url}`,
    }),
  ]).catch(async (error: unknown) => {
    await stopChild(child, 'SIGKILL');
    throw error;
  });
  const stop = () => stopChild(child, 'SIGTERM');
  return {
    mode: 'child',
    url,
    port: config.port,
    config,
    dataDir: options.dataDir!,
    child,
    api: (auth) => api(url, auth),
    stop,
    kill: (signal = 'SIGKILL') => stopChild(child, signal),
    restart: async (overrides = {}) => {
      await stop();
      return startTestController({ ...options, ...overrides, mode: 'child', config: { ...config, ...overrides.config } });
    },
    output,
  };
}
