/**
 * A real controller (store, registry, channel, HTTP, the applications module) with scripted
 * executors (sim-executor.ts, a test double speaking the real protocol). Fast enough to run
 * every application operation many times per test file.
 *
 *   const env = await startAppCluster({ executors: 2 });
 *   const { operationId } = await env.submit(createOp(appSpec('web')));
 *   await env.waitOperation(operationId, 'COMPLETED');
 */
import { expect } from 'vitest';
import type { ControllerConfig } from '../../src/controller/config.ts';
import { createAppModule, type AppModule, type AppModuleOptions } from '../../src/controller/apps/app-module.ts';
import type { ApiClient } from '../helpers/api-client.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { waitForOperationState } from '../helpers/operation-wait.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { SimExecutor, type SimOptions } from './sim-executor.ts';

export const FAST_OPSPEC = { timeout: '5s', parallelism: 4, failureStrategy: 'STOP' };

/** A PROCESS app spec whose checks allow a short start timeout (about 0.4 s minimum). */
export function appSpec(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name, version: '1', type: 'SERVICE',
    executable: { type: 'PROCESS', command: '/bin/true' },
    exposedPorts: [{ name: 'http', port: 8080, type: 'HTTP' }],
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
    healthcheck: { mode: { type: 'CMD', command: 'true' }, timeout: '100 ms', interval: '100 ms', attempts: 1 },
    readiness: { mode: { type: 'CMD', command: 'true' }, timeout: '100 ms', interval: '100 ms', attempts: 1 },
    exposureSpec: { vhost: `${name}.test`, portName: 'http', mode: 'ALL' },
    tags: { team: 'corral' },
    ...overrides,
  };
}

export interface AppCluster {
  controller: TestController;
  module: AppModule;
  sims: SimExecutor[];
  api: ApiClient;
  /** Submits an app operation; expects success and returns its data. */
  submit(body: unknown): Promise<{ appId: string; operationId: string }>;
  /** Submits and expects a 400 with these validation errors (exactly). */
  reject(body: unknown, errors: string[]): Promise<void>;
  operation(operationId: string): Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  waitOperation(operationId: string, state: string | string[], timeoutMs?: number): Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  summary(appId: string): Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  instances(appId: string, state?: string): Promise<Record<string, any>[]>; // eslint-disable-line @typescript-eslint/no-explicit-any
  addExecutor(options?: Partial<SimOptions>): Promise<SimExecutor>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface AppClusterOptions {
  executors?: number;
  config?: Partial<ControllerConfig>;
  module?: AppModuleOptions;
  sim?: Partial<SimOptions>;
}

export async function startAppCluster(options: AppClusterOptions = {}): Promise<AppCluster> {
  const holder: { module?: AppModule } = {};
  const factory = (ctx: Parameters<typeof createAppModule>[0]) => {
    holder.module = createAppModule(ctx, { reconcileIntervalMs: 300, recoverBackoffMs: 200, ...options.module });
    return holder.module;
  };
  let controller = await startTestController({
    modules: [factory],
    config: { executorLostAfterMs: 1_500, snapshotIntervalMs: 1_000, killTimeoutMs: 500, ...options.config },
  });
  const env: AppCluster = {
    controller,
    module: holder.module!,
    sims: [],
    api: controller.api(),
    async submit(body) {
      const { status, body: reply } = await env.api.post('/apis/v1/applications/operations', body);
      expect(reply, JSON.stringify(reply)).toMatchObject({ status: 'SUCCESS' });
      expect(status).toBe(200);
      return reply.data;
    },
    async reject(body, errors) {
      const { status, body: reply } = await env.api.post('/apis/v1/applications/operations', body);
      expect({ status, reply }).toEqual({ status: 400, reply: { status: 'FAILED', message: 'Command validation failure', data: { validationErrors: errors } } });
    },
    async operation(operationId) {
      const { body } = await env.api.get(`/apis/v1/operations/${operationId}`);
      expect(body.status, JSON.stringify(body)).toBe('SUCCESS');
      return body.data;
    },
    async waitOperation(operationId, state, timeoutMs = 10_000) {
      return waitForOperationState(operationId, state, () => env.operation(operationId), { timeoutMs, intervalMs: 20 });
    },
    async summary(appId) {
      const { body } = await env.api.get(`/apis/v1/applications/${appId}`);
      return body.data ?? body;
    },
    async instances(appId, state) {
      const { body } = await env.api.get(`/apis/v1/applications/${appId}/instances${state ? `?state=${state}` : ''}`);
      return body.data;
    },
    async addExecutor(extra = {}) {
      const sim = await SimExecutor.connect(controller.url, { secret: controller.config.clusterSecret, ...options.sim, ...extra });
      env.sims.push(sim);
      await waitFor(() => controller.ctx?.executors.get(sim.executorId)?.connected, { message: 'the executor to register' });
      return sim;
    },
    async restart() {
      controller = await controller.restart();
      env.controller = controller;
      env.module = holder.module!;
      env.api = controller.api();
    },
    async close() {
      await Promise.allSettled(env.sims.map((s) => s.close()));
      await controller.stop();
    },
  };
  for (let i = 0; i < (options.executors ?? 2); i++) await env.addExecutor({ identity: { hostname: `sim-${i}` } });
  return env;
}

export function createOp(spec: Record<string, unknown>, instances = 0, opSpec: Record<string, unknown> = FAST_OPSPEC) {
  return { type: 'CREATE', spec, instances, opSpec };
}
