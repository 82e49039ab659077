/**
 * CONTROLLER_HTTP_FETCH configs: fetched by the controller, bounded in size (a body past the
 * limit fails the start with the reason, once, and the executor keeps its channel), timed with
 * long timers (a "30 days" timeout waits), and resolved for app instances as for tasks. Real
 * controller, real executor, real processes, a real HTTP server serving the configs.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createBody, processSpec, waitForTaskState } from './task-fixtures.ts';
import { HTTP_APP, httpAppSpec } from '../apps/real-cluster.ts';

let controller: TestController;
let server: http.Server;
let port = 0;
const hits = new Map<string, number>();

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const url = request.url ?? '/';
    hits.set(url, (hits.get(url) ?? 0) + 1);
    if (url === '/huge') {
      // 100 MB, streamed without a Content-Length: only counting what arrives can stop it.
      const chunk = Buffer.alloc(1024 * 1024, 120);
      let sent = 0;
      const pump = () => {
        while (sent < 100 && response.write(chunk)) sent++;
        if (sent >= 100) response.end();
        else response.once('drain', pump);
      };
      response.on('error', () => undefined);
      pump();
      return;
    }
    if (url === '/slow') {
      setTimeout(() => response.end('slow-body'), 500);
      return;
    }
    response.end('app-config');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  controller = await startTestController({ config: { controllerFetchMaxBytes: 1024 * 1024 } });
  await startTestExecutor(controller.url, { secret: controller.config.clusterSecret, cores: 4 });
});
afterAll(async () => {
  await stopAllTestProcesses();
  server?.close();
});

function fetchConfig(path: string, timeouts: Record<string, string> = {}) {
  return { type: 'CONTROLLER_HTTP_FETCH', localFilename: 'cfg.txt', http: { protocol: 'HTTP', hostname: '127.0.0.1', port, path, verb: 'GET', successCodes: [200], ...timeouts } };
}

async function executorConnections(): Promise<number> {
  const { body } = await controller.api().get('/apis/v1/cluster/events?size=1024');
  return body.data.filter((e: { type: string }) => e.type === 'EXECUTOR_ADDED' || e.type === 'EXECUTOR_RECONNECTED').length;
}

describe('CONTROLLER_HTTP_FETCH', () => {
  it('fails a start whose fetched config is larger than the limit, once, keeping the executor connected', async () => {
    const api = controller.api();
    const connectionsBefore = await executorConnections();
    const spec = processSpec('too-big', '/bin/true', [], { configs: [fetchConfig('/huge')] });
    expect((await api.post('/apis/v1/tasks/operations', createBody(spec))).body.status).toBe('SUCCESS');
    const task = await waitForTaskState(api, 'TEST_APP', 'too-big', ['STOPPED']);
    expect(task.taskResult).toEqual({ status: 'FAILED', exitCode: -1 });
    expect(task.errorMessage).toMatch(/^Could not fetch config cfg\.txt: GET http:\/\/127\.0\.0\.1:\d+\/huge failed: the response is larger than the limit of 1 MB \(controllerFetchMaxBytes\)$/);
    expect(hits.get('/huge')).toBe(1);
    expect(await executorConnections()).toBe(connectionsBefore);
  });

  it('waits as long as a 30-day timeout allows instead of failing at once', async () => {
    const api = controller.api();
    const spec = processSpec('patient', '/bin/sh', ['-c', 'test "$(cat cfg.txt)" = slow-body'], {
      configs: [fetchConfig('/slow', { connectionTimeout: '30 days', operationTimeout: '30 days' })],
    });
    expect((await api.post('/apis/v1/tasks/operations', createBody(spec))).body.status).toBe('SUCCESS');
    const task = await waitForTaskState(api, 'TEST_APP', 'patient', ['STOPPED']);
    expect(task.errorMessage).toBe('');
    expect(task.taskResult).toEqual({ status: 'SUCCESSFUL', exitCode: 0 });
  });

  it('is resolved for app instances too', async () => {
    const api = controller.api();
    // The fixture server runs only if the fetched config arrived with its content.
    const spec = httpAppSpec('fetching', 'fetching', {
      executable: { type: 'PROCESS', command: '/bin/sh' },
      args: ['-c', `test "$(cat cfg.txt)" = app-config && exec ${process.execPath} ${HTTP_APP} --marker=fetching`],
      configs: [fetchConfig('/app')],
    });
    const created = await api.post('/apis/v1/applications/operations', { type: 'CREATE', spec, instances: 1, opSpec: { timeout: '30s', parallelism: 1, failureStrategy: 'STOP' } });
    expect(created.body, JSON.stringify(created.body)).toMatchObject({ status: 'SUCCESS' });
    const op = await waitFor(async () => {
      const { body } = await api.get(`/apis/v1/operations/${created.body.data.operationId}`);
      return ['COMPLETED', 'FAILED', 'TIMED_OUT'].includes(body.data.state) ? body.data : undefined;
    }, { timeoutMs: 30_000 });
    expect(op.state).toBe('COMPLETED');
    expect((await api.get('/apis/v1/applications/fetching-1')).body.data.healthyInstances).toBe(1);
    expect(hits.get('/app')).toBe(1);
  });
});
