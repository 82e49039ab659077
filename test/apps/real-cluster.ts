/**
 * Real processes end to end: a controller, real `corral executor` children (process driver)
 * and a real HTTP server (fixtures/http-app.cjs) as the application.
 *
 *   const cluster = await startRealCluster({ executors: 2 });
 *   await cluster.submit(createOp(httpAppSpec('web', marker), 2));
 */
import { fileURLToPath } from 'node:url';
import type { ControllerConfig } from '../../src/controller/config.ts';
import { createAppModule, type AppModuleOptions } from '../../src/controller/apps/app-module.ts';
import type { ApiClient } from '../helpers/api-client.ts';
import { processesWithMarker } from '../helpers/marked-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor, type TestExecutor } from '../helpers/test-executor.ts';
import { workloadApi, type WorkloadApi } from '../helpers/workload-api.ts';

export { killMarked, processesWithMarker } from '../helpers/marked-processes.ts';

export const HTTP_APP = fileURLToPath(new URL('./fixtures/http-app.ts', import.meta.url));

/** A PROCESS app running the fixture HTTP server with HTTP readiness and health checks. */
export function httpAppSpec(name: string, marker: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name, version: '1', type: 'SERVICE',
    executable: { type: 'PROCESS', command: process.execPath },
    args: [HTTP_APP, `--marker=${marker}`],
    exposedPorts: [{ name: 'http', port: 8080, type: 'HTTP' }],
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
    readiness: { mode: { type: 'HTTP', portName: 'http', path: '/ready', verb: 'GET', successCodes: [200] }, timeout: '500 ms', interval: '100 ms', attempts: 50 },
    healthcheck: { mode: { type: 'HTTP', portName: 'http', path: '/health', verb: 'GET', successCodes: [200] }, timeout: '500 ms', interval: '300 ms', attempts: 3 },
    exposureSpec: { vhost: `${name}.test`, portName: 'http', mode: 'ALL' },
    ...overrides,
  };
}

/** The app server processes (one per running instance). */
export function appServers(marker: string): number[] {
  return processesWithMarker(marker, true);
}

export interface RealCluster extends WorkloadApi<{ appId: string; operationId: string }> {
  controller: TestController;
  executors: TestExecutor[];
  api: ApiClient;
  /** Replaces the controller object after a restart (child mode). */
  setController(controller: TestController): void;
}

export interface RealClusterOptions {
  executors?: number;
  /** 'child' runs the controller as `corral controller` (can be SIGKILLed); default in-process. */
  mode?: 'in-process' | 'child';
  config?: Partial<ControllerConfig>;
  module?: AppModuleOptions;
  cores?: number;
}

export async function startRealCluster(options: RealClusterOptions = {}): Promise<RealCluster> {
  const mode = options.mode ?? 'in-process';
  const controller = await startTestController({
    mode,
    modules: mode === 'in-process' ? [(ctx) => createAppModule(ctx, { reconcileIntervalMs: 1_000, recoverBackoffMs: 500, ...options.module })] : undefined,
    config: { executorLostAfterMs: 10_000, snapshotIntervalMs: 1_000, killTimeoutMs: 2_000, ...options.config },
  });
  const executors: TestExecutor[] = [];
  for (let i = 0; i < (options.executors ?? 2); i++) {
    executors.push(await startTestExecutor(controller.url, { secret: controller.config.clusterSecret, cores: options.cores ?? 8, memoryMb: 4096, name: `exec-${i}` }));
  }
  const cluster: RealCluster = {
    controller,
    executors,
    api: controller.api(),
    setController(next) {
      cluster.controller = next;
      cluster.api = next.api();
    },
    ...workloadApi(() => cluster.api, { collection: '/apis/v1/applications', waitTimeoutMs: 30_000, waitIntervalMs: 50 }),
  };
  return cluster;
}

/** GET on an instance's host port (the real server answering). */
export async function whoami(hostPort: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${hostPort}/whoami`);
  return response.text();
}
