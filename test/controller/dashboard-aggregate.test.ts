/**
 * The optional read routes (docs/api.md §4.3, §3.6) against a real controller with two real
 * executors, a real app instance and a real finished task: the dashboard aggregate's sections
 * and numbers, and Drove's task search (form POST and query GET, 303 redirects).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpAppSpec } from '../apps/real-cluster.ts';
import { api as apiClient, basicAuth, type ApiClient } from '../helpers/api-client.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createBody, processSpec, waitForTaskState } from '../tasks/task-fixtures.ts';

let controller: TestController;
let api: ApiClient;
let appId: string;

beforeAll(async () => {
  controller = await startTestController();
  api = controller.api();
  for (const name of ['d1', 'd2']) await startTestExecutor(controller.url, { secret: controller.config.clusterSecret, name, cores: 4, memoryMb: 2048 });
  const created = await api.post('/apis/v1/applications/operations', {
    type: 'CREATE', spec: httpAppSpec('board', 'board-app'), instances: 1, opSpec: { timeout: '60s', parallelism: 1, failureStrategy: 'STOP' },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  appId = created.body.data.appId;
  await waitFor(async () => (await api.get(`/apis/v1/applications/${appId}`)).body.data?.healthyInstances === 1, { timeoutMs: 60_000, message: 'one healthy instance' });
  expect((await api.post('/apis/v1/tasks/operations', createBody(processSpec('board-task', '/bin/sh', ['-c', 'exit 0'])))).status).toBe(200);
  await waitForTaskState(api, 'TEST_APP', 'board-task', ['STOPPED'], 30_000);
}, 120_000);

afterAll(stopAllTestProcesses);

describe('GET /apis/v1/cluster/dashboard', () => {
  it('aggregates the summary, apps, tasks, local services and executors', async () => {
    const before = Date.now();
    const { status, body } = await controller.api({ user: 'guest', password: 'guest' }).get('/apis/v1/cluster/dashboard');
    expect(status).toBe(200);
    const data = body.data;
    expect(data.clusterSummary).toEqual((await api.get('/apis/v1/cluster')).body.data);
    expect(data.appStats).toMatchObject({ appCountByState: { RUNNING: 1 }, totalHealthyInstances: 1 });
    expect(data.appStats.topApps).toEqual([(await api.get(`/apis/v1/applications/${appId}`)).body.data]);
    expect(data.taskStats.taskCountByState).toEqual({ STOPPED: 1 });
    expect(data.taskStats.topTasks).toEqual([(await api.get('/apis/v1/tasks/TEST_APP/instances/board-task')).body.data]);
    expect(data.serviceStats).toEqual({ serviceCountByState: {}, serviceCountByActivationState: {}, topServices: [], totalHealthyInstances: 0 });
    // one 1-core instance on one of two 4-core executors
    expect(data.executorStats).toEqual({
      executorCountByState: { ACTIVE: 2 },
      utilization: { averageUtilization: 0.125, highestUtilization: 0.25, lowestUtilization: 0, balanceScore: 0.75 },
    });
    expect(data.generatedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(Object.keys(data).sort()).toEqual(['appStats', 'clusterSummary', 'executorStats', 'generatedAt', 'serviceStats', 'taskStats']);
  });

  it('needs credentials', async () => {
    expect((await controller.api(false).get('/apis/v1/cluster/dashboard')).status).toBe(401);
  });
});

describe('task search', () => {
  const form = (fields: Record<string, string>) => fetch(`${controller.url}/apis/v1/tasks/search`, {
    method: 'POST', redirect: 'manual',
    headers: { authorization: basicAuth({ user: 'guest', password: 'guest' }), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });

  it('redirects a form post to the task\'s page when it exists, else to /', async () => {
    const found = await form({ taskSearchAppName: 'TEST_APP', taskSearchTaskID: 'board-task' });
    expect(found.status).toBe(303);
    expect(found.headers.get('location')).toBe('/tasks/TEST_APP/board-task');
    const missing = await form({ taskSearchAppName: 'TEST_APP', taskSearchTaskID: 'nope' });
    expect(missing.status).toBe(303);
    expect(missing.headers.get('location')).toBe('/');
  });

  it('takes the same fields as a JSON body or a query string', async () => {
    const authorization = basicAuth({ user: 'admin', password: 'admin' });
    const json = await fetch(`${controller.url}/apis/v1/tasks/search`, {
      method: 'POST', redirect: 'manual', headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ taskSearchAppName: 'TEST_APP', taskSearchTaskID: 'board-task' }),
    });
    expect(json.status).toBe(303);
    expect(json.headers.get('location')).toBe('/tasks/TEST_APP/board-task');
    const query = await fetch(`${controller.url}/apis/v1/tasks/search?taskSearchAppName=TEST_APP&taskSearchTaskID=board-task`, { redirect: 'manual', headers: { authorization } });
    expect(query.status).toBe(303);
    expect(query.headers.get('location')).toBe('/tasks/TEST_APP/board-task');
  });

  it('refuses missing or malformed fields, and form bodies on JSON-only routes', async () => {
    const empty = await form({ taskSearchAppName: 'TEST_APP' });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { data: { validationErrors: string[] } }).data.validationErrors.join()).toMatch(/taskSearchTaskID/);
    const bad = await form({ taskSearchAppName: 'TEST APP', taskSearchTaskID: 'x' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { data: { validationErrors: string[] } }).data.validationErrors.join()).toMatch(/taskSearchAppName must match/);
    const elsewhere = await fetch(`${controller.url}/apis/v1/tasks/validate/spec`, {
      method: 'POST', headers: { authorization: basicAuth({ user: 'admin', password: 'admin' }), 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=b',
    });
    expect(elsewhere.status).toBe(415);
    expect((await apiClient(controller.url, false).get('/apis/v1/tasks/search?taskSearchAppName=a&taskSearchTaskID=b')).status).toBe(401);
  });
});
