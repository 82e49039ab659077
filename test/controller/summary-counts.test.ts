/**
 * The cluster summary's counts are kept in memory by the modules (apps, tasks, local services),
 * its executor figures by the capacity index, and an app's healthy count by the instance book —
 * none of them read or scanned per request. Against a real controller and a real executor, at
 * every step of an app's and a task's life (create, scale up, a running task, kill, scale down,
 * destroy) and after a controller restart, the summary must equal what the store holds and what
 * a scan of the ledger gives, and the app summary the instances the store lists.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ACTIVE_APP_STATES } from '../../src/api/app-types.ts';
import { storedWorkloadCounts } from '../../src/controller/cluster/workload-counts.ts';
import { httpAppSpec } from '../apps/real-cluster.ts';
import type { ApiClient } from '../helpers/api-client.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createBody, killBody, processSpec, waitForTaskState } from '../tasks/task-fixtures.ts';

const OPSPEC = { timeout: '60s', parallelism: 2, failureStrategy: 'STOP' };
let controller: TestController;
let api: ApiClient;

beforeAll(async () => {
  controller = await startTestController();
  api = controller.api();
  await startTestExecutor(controller.url, { secret: controller.config.clusterSecret, name: 'counts', cores: 6, memoryMb: 2048 });
  await waitFor(async () => (await api.get('/apis/v1/cluster')).body.data.numExecutors === 1, { timeoutMs: 10_000, message: 'the executor to connect' });
}, 60_000);

afterAll(stopAllTestProcesses);

/** The summary equals the store's counts and a scan of the ledger; returns it. */
async function exactSummary(): Promise<Record<string, number>> {
  const ctx = controller.ctx!;
  const summary = (await api.get('/apis/v1/cluster')).body.data;
  expect(pick(summary, ['numApplications', 'numActiveApplications', 'numActiveTasks', 'numLocalServices', 'numActiveLocalServices']))
    .toEqual(await storedWorkloadCounts(ctx.store));
  let freeCores = 0;
  let totalCores = 0;
  let freeMemory = 0;
  let totalMemory = 0;
  for (const executor of ctx.executors.list().filter((e) => e.connected)) {
    const capacity = ctx.ledger.capacity(executor.record.executorId);
    freeCores += capacity.freeCores;
    totalCores += capacity.totalCores;
    freeMemory += capacity.freeMemory;
    totalMemory += capacity.totalMemory;
  }
  expect(pick(summary, ['freeCores', 'usedCores', 'totalCores', 'freeMemory', 'usedMemory', 'totalMemory'])).toEqual({
    freeCores, usedCores: totalCores - freeCores, totalCores, freeMemory, usedMemory: totalMemory - freeMemory, totalMemory,
  });
  return summary;
}

/** The app summary's healthy count equals the HEALTHY instances the store lists. */
async function exactHealthy(appId: string): Promise<number> {
  const summary = (await api.get(`/apis/v1/applications/${appId}`)).body.data;
  const stored = await controller.ctx!.store.listInstances({ appId, states: ['HEALTHY'] });
  expect(summary.healthyInstances).toBe(stored.length);
  return summary.healthyInstances;
}

function pick(data: Record<string, number>, keys: string[]): Record<string, number> {
  return Object.fromEntries(keys.map((k) => [k, data[k]]));
}

async function operate(body: Record<string, unknown>): Promise<string> {
  const reply = await api.post('/apis/v1/applications/operations', body);
  expect(reply.body.status, JSON.stringify(reply.body)).toBe('SUCCESS');
  const { operationId } = reply.body.data;
  await waitFor(async () => (await api.get(`/apis/v1/operations/${operationId}`)).body.data?.state === 'COMPLETED', { timeoutMs: 60_000, message: `${String(body.type)} to complete` });
  return reply.body.data.appId ?? body.appId;
}

describe('cluster summary and app summary counts', () => {
  it('stay exact through create, scale, a task, kill, destroy and a controller restart', async () => {
    expect(await exactSummary()).toMatchObject({ numApplications: 0, numActiveApplications: 0, numActiveTasks: 0, usedCores: 0 });

    const appId = await operate({ type: 'CREATE', spec: httpAppSpec('counted', 'counted-app'), instances: 0, opSpec: OPSPEC });
    expect(await exactSummary()).toMatchObject({ numApplications: 1, numActiveApplications: 0 });
    await operate({ type: 'SCALE', appId, requiredInstances: 2, opSpec: OPSPEC });
    await waitFor(async () => (await api.get(`/apis/v1/applications/${appId}`)).body.data.healthyInstances === 2, { timeoutMs: 30_000, message: 'two healthy instances' });
    expect(await exactHealthy(appId)).toBe(2);
    expect(ACTIVE_APP_STATES.has((await api.get(`/apis/v1/applications/${appId}`)).body.data.state)).toBe(true);
    expect(await exactSummary()).toMatchObject({ numApplications: 1, numActiveApplications: 1, usedCores: 2 });

    expect((await api.post('/apis/v1/tasks/operations', createBody(processSpec('counted-task', '/bin/sh', ['-c', 'sleep 60'])))).status).toBe(200);
    await waitForTaskState(api, 'TEST_APP', 'counted-task', ['RUNNING'], 30_000);
    expect(await exactSummary()).toMatchObject({ numActiveTasks: 1, usedCores: 3 });
    expect((await api.post('/apis/v1/tasks/operations', killBody('TEST_APP', 'counted-task'))).status).toBe(200);
    await waitForTaskState(api, 'TEST_APP', 'counted-task', ['STOPPED'], 30_000);
    expect(await exactSummary()).toMatchObject({ numActiveTasks: 0, usedCores: 2 });

    await operate({ type: 'SCALE', appId, requiredInstances: 1, opSpec: OPSPEC });
    expect(await exactHealthy(appId)).toBe(1);
    expect(await exactSummary()).toMatchObject({ numActiveApplications: 1, usedCores: 1 });

    // A second app with an instance survives the restart; the first is destroyed before it.
    const kept = await operate({ type: 'CREATE', spec: httpAppSpec('kept', 'kept-app'), instances: 1, opSpec: OPSPEC });
    await waitFor(async () => (await api.get(`/apis/v1/applications/${kept}`)).body.data.healthyInstances === 1, { timeoutMs: 30_000, message: 'the kept app healthy' });
    await operate({ type: 'SCALE', appId, requiredInstances: 0, opSpec: OPSPEC });
    expect(await exactHealthy(appId)).toBe(0);
    expect(await exactSummary()).toMatchObject({ numApplications: 2, numActiveApplications: 1, usedCores: 1 });
    await operate({ type: 'DESTROY', appId, opSpec: OPSPEC });
    const beforeRestart = await exactSummary();
    expect(beforeRestart).toMatchObject({ numApplications: 1, numActiveApplications: 1, numActiveTasks: 0, usedCores: 1 });

    controller = await controller.restart();
    api = controller.api();
    await waitFor(async () => (await api.get('/apis/v1/cluster')).body.data.numExecutors === 1, { timeoutMs: 30_000, message: 'the executor to reconnect' });
    await waitFor(async () => (await api.get(`/apis/v1/applications/${kept}`)).body.data?.healthyInstances === 1, { timeoutMs: 30_000, message: 'the kept app healthy again' });
    expect(await exactHealthy(kept)).toBe(1);
    expect(pick(await exactSummary(), Object.keys(beforeRestart).filter((k) => k.startsWith('num') || k.endsWith('Cores'))))
      .toEqual(pick(beforeRestart, Object.keys(beforeRestart).filter((k) => k.startsWith('num') || k.endsWith('Cores'))));
  }, 240_000);

  it('a summary or an app summary on the leader reads nothing from the store', async () => {
    const store = controller.ctx!.store;
    const reads = (['listApps', 'listTasks', 'listLocalServices', 'listInstances', 'getApp'] as const).map((name) => vi.spyOn(store, name));
    const apps = Object.keys((await api.get('/apis/v1/applications')).body.data);
    expect(apps).toHaveLength(1);
    for (let i = 0; i < 3; i++) {
      expect((await api.get('/apis/v1/cluster')).body.data.numApplications).toBe(1);
      expect((await api.get(`/apis/v1/applications/${apps[0]}`)).body.data.healthyInstances).toBe(1);
    }
    for (const read of reads) expect(read, read.getMockName()).not.toHaveBeenCalled();
    for (const read of reads) read.mockRestore();
  });
});
