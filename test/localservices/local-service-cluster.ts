/**
 * Real processes end to end for local services: a controller (in-process, or a `corral
 * controller` child that can be restarted) and real `corral executor` children (process
 * driver) running a real HTTP server (fixtures/service-agent.ts) as the service.
 */
import { fileURLToPath } from 'node:url';
import type { ControllerConfig } from '../../src/controller/config.ts';
import { createAppModule } from '../../src/controller/apps/app-module.ts';
import { createLocalServiceModule } from '../../src/controller/localservices/local-service-module.ts';
import { createTaskModule } from '../../src/controller/tasks/task-module.ts';
import type { ApiClient } from '../helpers/api-client.ts';
import { processesWithMarker } from '../helpers/marked-processes.ts';
import { workloadApi, type WorkloadApi } from '../helpers/workload-api.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor, type TestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';

export { killMarked } from '../helpers/marked-processes.ts';

export const SERVICE_AGENT = fileURLToPath(new URL('./fixtures/service-agent.ts', import.meta.url));
export const FAST_OPSPEC = { timeout: '30 seconds', parallelism: 4, failureStrategy: 'STOP' };

/** A PROCESS local service running the fixture server with HTTP readiness and health checks. */
export function agentSpec(name: string, marker: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name, version: '1', type: 'LOCAL_SERVICE',
    executable: { type: 'PROCESS', command: process.execPath },
    args: [SERVICE_AGENT, `--marker=${marker}`],
    exposedPorts: [{ name: 'metrics', port: 9100, type: 'HTTP' }],
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 32 }],
    readiness: { mode: { type: 'HTTP', portName: 'metrics', path: '/ready', verb: 'GET', successCodes: [200] }, timeout: '500 ms', interval: '100 ms', attempts: 50 },
    healthcheck: { mode: { type: 'HTTP', portName: 'metrics', path: '/health', verb: 'GET', successCodes: [200] }, timeout: '500 ms', interval: '300 ms', attempts: 3 },
    placementPolicy: { type: 'LOCAL', hostLevel: false },
    tags: { owner: 'platform' },
    ...overrides,
  };
}

/** Server processes (not their wrappers) carrying `--marker=<marker>`. */
export function agents(marker: string): number[] {
  return processesWithMarker(marker, true);
}

/* eslint-disable @typescript-eslint/no-explicit-any -- API replies are checked field by field */
export interface LocalServiceCluster extends WorkloadApi<{ serviceId: string; operationId: string }> {
  controller: TestController;
  executors: TestExecutor[];
  api: ApiClient;
  /** Submits an operation and returns the whole reply (status and body). */
  post(body: unknown): Promise<{ status: number; body: any }>;
  /** HEALTHY instance count per executorId. */
  healthyPerExecutor(serviceId: string): Promise<Map<string, number>>;
  addExecutor(name: string): Promise<TestExecutor>;
  setController(controller: TestController): void;
}

export interface LocalServiceClusterOptions {
  executors?: number;
  mode?: 'in-process' | 'child';
  config?: Partial<ControllerConfig>;
}

export async function startLocalServiceCluster(options: LocalServiceClusterOptions = {}): Promise<LocalServiceCluster> {
  const mode = options.mode ?? 'in-process';
  const controller = await startTestController({
    mode,
    modules: mode === 'in-process'
      ? [createTaskModule, (ctx) => createAppModule(ctx, { reconcileIntervalMs: 1_000 }), (ctx) => createLocalServiceModule(ctx, { monitorIntervalMs: 500 })]
      : undefined,
    config: { executorLostAfterMs: 4_000, executorRemovedAfterMs: 60_000, snapshotIntervalMs: 1_000, killTimeoutMs: 2_000, ...options.config },
  });
  const executors: TestExecutor[] = [];
  const cluster: LocalServiceCluster = {
    controller,
    executors,
    api: controller.api(),
    setController(next) {
      cluster.controller = next;
      cluster.api = next.api();
    },
    async addExecutor(name) {
      const executor = await startTestExecutor(cluster.controller.url, {
        secret: cluster.controller.config.clusterSecret, cores: 4, memoryMb: 2048, name,
        // A loaded machine (other test runs) can take a while to start a node process.
        timeoutMs: 60_000,
      });
      executors.push(executor);
      return executor;
    },
    async post(body) {
      const reply = await cluster.api.post('/apis/v1/localservices/operations', body);
      return { status: reply.status, body: reply.body };
    },
    ...workloadApi(() => cluster.api, { collection: '/apis/v1/localservices', waitTimeoutMs: 45_000, waitIntervalMs: 100 }),
    async healthyPerExecutor(serviceId) {
      const counts = new Map<string, number>();
      for (const i of await cluster.instances(serviceId, 'HEALTHY')) counts.set(i.executorId, (counts.get(i.executorId) ?? 0) + 1);
      return counts;
    },
  };
  for (let i = 0; i < (options.executors ?? 3); i++) await cluster.addExecutor(`exec-${i}`);
  return cluster;
}

/** Waits until every listed executor has exactly `perHost` HEALTHY instances and no other executor has any. */
export async function waitPerHost(cluster: LocalServiceCluster, serviceId: string, executorIds: string[], perHost: number, timeoutMs = 45_000): Promise<void> {
  let last = new Map<string, number>();
  await waitFor(async () => {
    last = await cluster.healthyPerExecutor(serviceId);
    const active = await cluster.instances(serviceId);
    return active.length === executorIds.length * perHost
      && executorIds.every((id) => last.get(id) === perHost) && [...last.keys()].every((id) => executorIds.includes(id));
  }, { timeoutMs, intervalMs: 200, message: `${perHost} healthy instance(s) of ${serviceId} on each of ${executorIds.length} executor(s); last ${JSON.stringify([...last])}` });
}
