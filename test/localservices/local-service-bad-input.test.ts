/**
 * Bad input to local services: each a 400 in the Drove envelope with Drove's message (or a
 * 200 FAILED for lookups), and nothing half-created. Plus host-level services (ports published
 * at their own number) on one real executor.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { freePort } from '../helpers/free-port.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { agentSpec, killMarked, startLocalServiceCluster, type LocalServiceCluster } from './local-service-cluster.ts';

let cluster: LocalServiceCluster;
const marker = randomUUID();

beforeAll(async () => {
  cluster = await startLocalServiceCluster({ executors: 1, config: { maintenanceGraceMs: 0 } });
}, 60_000);
afterAll(async () => {
  await stopAllTestProcesses();
  killMarked(marker);
});

async function rejected(body: unknown): Promise<string[]> {
  const reply = await cluster.post(body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(400);
  expect(reply.body.status).toBe('FAILED');
  return reply.body.data?.validationErrors ?? [reply.body.message];
}

async function noService(serviceId: string): Promise<void> {
  expect((await cluster.api.get(`/apis/v1/localservices/${serviceId}`)).body).toEqual({ status: 'FAILED', message: `Local service ${serviceId} not found` });
}

describe('local-service bad input', () => {
  it('instancesPerHost outside 1–256, or absent', async () => {
    for (const instancesPerHost of [0, 257, -1, undefined]) {
      expect(await rejected({ type: 'CREATE', spec: agentSpec('bad-count', marker), instancesPerHost })).toEqual(['instancesPerHost must be between 1 and 256']);
    }
    expect(await rejected({ type: 'UPDATE_INSTANCE_COUNT', serviceId: 'x-1', instancesPerHost: 300 })).toEqual(['instancesPerHost must be between 1 and 256']);
    await noService('bad-count-1');
  });

  it('placement must be LOCAL at the top level; host-level services have one instance per host', async () => {
    for (const placementPolicy of [undefined, { type: 'ANY' }, { type: 'COMPOSITE', combiner: 'AND', policies: [{ type: 'LOCAL' }, { type: 'ANY' }] }]) {
      const errors = await rejected({ type: 'CREATE', spec: agentSpec('bad-placement', marker, { placementPolicy }), instancesPerHost: 1 });
      expect(errors).toEqual(['Only local placement is allowed for local services']);
    }
    const hostLevel = agentSpec('bad-host', marker, { placementPolicy: { type: 'LOCAL', hostLevel: true } });
    expect(await rejected({ type: 'CREATE', spec: hostLevel, instancesPerHost: 2 })).toEqual(['Host level service cannot have more than one instance']);
    const validate = await cluster.api.post('/apis/v1/localservices/validate/spec', agentSpec('v', marker, { placementPolicy: { type: 'ANY' } }));
    expect(validate.status).toBe(400);
    expect(validate.body.data.validationErrors).toEqual(['Only local placement is allowed for local services']);
    expect((await cluster.api.post('/apis/v1/localservices/validate/spec', agentSpec('v', marker))).body).toMatchObject({ status: 'SUCCESS', data: { valid: true } });
    await noService('bad-placement-1');
    await noService('bad-host-1');
  });

  it('LOCAL placement is refused for apps and tasks', async () => {
    const app = { ...agentSpec('local-app', marker), type: 'SERVICE' };
    const appReply = await cluster.api.post('/apis/v1/applications/operations', { type: 'CREATE', spec: app, instances: 0, opSpec: { timeout: '10s', parallelism: 1, failureStrategy: 'STOP' } });
    expect(appReply.status).toBe(400);
    expect(appReply.body.data.validationErrors).toEqual(['Local service placement is not allowed for apps']);
    const task = {
      sourceAppName: 'local-task', taskId: 't1', executable: { type: 'PROCESS', command: '/bin/true' },
      resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 16 }], placementPolicy: { type: 'LOCAL' },
    };
    const taskReply = await cluster.api.post('/apis/v1/tasks/operations', { type: 'CREATE', spec: task, opSpec: { timeout: '10s', parallelism: 1, failureStrategy: 'STOP' } });
    expect(taskReply.status).toBe(400);
    expect(taskReply.body.data.validationErrors).toEqual(['Local service placement is not allowed for tasks']);
  });

  it("operations the service's state does not allow, with Drove's messages", async () => {
    expect(await rejected({ type: 'ACTIVATE', serviceId: 'ghost-1' })).toEqual(['No state found for local service: ghost-1']);
    expect(await rejected({ type: 'ACTIVATE' })).toEqual(['serviceId must not be empty']);
    expect(await rejected({ type: 'STOP_INSTANCES', serviceId: 'ghost-1', instanceIds: [] })).toEqual(['instanceIds must not be empty']);
    const { serviceId } = await cluster.submit({ type: 'CREATE', spec: agentSpec('states', marker), instancesPerHost: 1 });
    expect(await rejected({ type: 'CREATE', spec: agentSpec('states', marker), instancesPerHost: 1 })).toEqual([`Local service ${serviceId} already exists`]);
    expect(await rejected({ type: 'REPLACE_INSTANCES', serviceId })).toEqual([
      `Only [ACTIVATE, ADJUST_INSTANCES, DEPLOY_TEST_INSTANCE, DESTROY, UPDATE_INSTANCE_COUNT] allowed for local service ${serviceId} as it is in INACTIVE state`,
    ]);
    expect(await rejected({ type: 'DEACTIVATE', serviceId })).toHaveLength(1);
    expect((await cluster.summary(serviceId)).state).toBe('INACTIVE');
    await cluster.waitOperation((await cluster.submit({ type: 'ACTIVATE', serviceId })).operationId, 'COMPLETED');
    expect(await rejected({ type: 'DESTROY', serviceId })).toEqual([
      `Only [ADJUST_INSTANCES, DEACTIVATE, REPLACE_INSTANCES, RESTART, STOP_INSTANCES, UPDATE_INSTANCE_COUNT] allowed for local service ${serviceId} as it is in ACTIVE state`,
    ]);
    expect(await rejected({ type: 'STOP_INSTANCES', serviceId, instanceIds: ['SI-nope'] })).toEqual(['There are no healthy instances with ids: [SI-nope]']);
    expect(await rejected({ type: 'REPLACE_INSTANCES', serviceId, instanceIds: ['SI-nope', 'SI-other'] })).toEqual(['There are no replaceable healthy instances with ids: [SI-nope, SI-other]']);
    expect(await rejected({ type: 'NOT_A_TYPE', serviceId })).toHaveLength(1);
    // Maintenance refuses every operation.
    await cluster.api.post('/apis/v1/cluster/maintenance/set');
    try {
      expect(await rejected({ type: 'DEACTIVATE', serviceId })).toEqual(['Cluster is in maintenance mode']);
    } finally {
      await cluster.api.post('/apis/v1/cluster/maintenance/unset');
    }
    expect((await cluster.summary(serviceId)).state).toBe('ACTIVE');
    await cluster.waitOperation((await cluster.submit({ type: 'DEACTIVATE', serviceId })).operationId, 'COMPLETED');
    await cluster.waitOperation((await cluster.submit({ type: 'DESTROY', serviceId })).operationId, 'COMPLETED');
  }, 60_000);

  it('reads of what does not exist', async () => {
    await noService('nope-1');
    expect((await cluster.api.get('/apis/v1/localservices/nope-1/spec')).body).toEqual({ status: 'FAILED', message: 'Local service nope-1 not found' });
    expect((await cluster.api.get('/apis/v1/localservices/nope-1/instances')).body.data).toEqual([]);
    expect((await cluster.api.get('/apis/v1/localservices/nope-1/instances/old')).body.data).toEqual([]);
    expect((await cluster.api.get('/apis/v1/localservices/nope-1/instances/SI-x')).body).toEqual({ status: 'FAILED', message: 'No such local service instance nope-1/SI-x' });
    const badState = await cluster.api.get('/apis/v1/localservices/nope-1/instances?state=healthy');
    expect(badState.status).toBe(400);
    expect((await cluster.api.get('/apis/v1/logfiles/localservices/nope-1/SI-x/list')).status).toBe(204);
  });

  it('a host-level service publishes its port at its own number; its spec reads back masked', async () => {
    const port = await freePort();
    const spec = agentSpec('host-level', marker, {
      exposedPorts: [{ name: 'metrics', port, type: 'HTTP' }],
      configs: [{ type: 'INLINE', localFilename: '/etc/agent.conf', data: Buffer.from('secret').toString('base64') }],
      placementPolicy: { type: 'LOCAL', hostLevel: true },
    });
    const { serviceId } = await cluster.submit({ type: 'CREATE', spec, instancesPerHost: 1 });
    const read = (await cluster.api.get(`/apis/v1/localservices/${serviceId}/spec`)).body.data;
    expect(read.configs[0].data).toBe('');
    expect(read.placementPolicy).toEqual({ type: 'LOCAL', hostLevel: true });
    expect(await rejected({ type: 'UPDATE_INSTANCE_COUNT', serviceId, instancesPerHost: 1 })).toEqual([
      'Instance count update is allowed only for services that do not have Host Level option set',
    ]);
    await cluster.waitOperation((await cluster.submit({ type: 'DEPLOY_TEST_INSTANCE', serviceId })).operationId, 'COMPLETED');
    const [instance] = await cluster.instances(serviceId);
    expect(instance.localInfo.ports.metrics).toEqual({ containerPort: port, hostPort: port, portType: 'HTTP' });
    expect(await (await fetch(`http://127.0.0.1:${port}/whoami`)).text()).toBe(`${serviceId} ${instance.instanceId} host-level`);
    // Drove gives local-service instances a token too, and its instance API has nothing for them.
    const token = await (await fetch(`http://127.0.0.1:${port}/token`)).text();
    expect(token.split('.')).toHaveLength(3);
    const internal = await cluster.controller.api(false).get('/apis/v1/internal/instances', { headers: { 'App-Instance-Authorization': token } });
    expect(internal.status).toBe(200);
    expect(internal.body).toMatchObject({ status: 'FAILED', message: expect.stringMatching(/^Please send valid token for you app instance/) });
    const logs = await cluster.api.get(`/apis/v1/logfiles/localservices/${serviceId}/${instance.instanceId}/list`);
    expect(logs.status).toBe(200);
    expect(logs.body.files.length).toBeGreaterThan(0);
    const file = logs.body.files[0] as string;
    const base = `/apis/v1/logfiles/localservices/${serviceId}/${instance.instanceId}`;
    const end = await cluster.api.get(`${base}/read/${file}`);
    expect(end.status).toBe(200);
    expect(typeof end.body.offset).toBe('number');
    const chunk = await cluster.api.get(`${base}/read/${file}?offset=0&length=1024`);
    expect(chunk.body).toMatchObject({ offset: 0 });
    const download = await cluster.api.get(`${base}/download/${file}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toMatch(new RegExp(`attachment; filename=${file}`));
    expect((await cluster.api.get(`${base}/read/..%2F..%2Fetc%2Fpasswd`)).status).toBe(400);
    // A replacement of a host-level instance stops the old one first (the port is taken until then).
    const restart = await cluster.submit({ type: 'RESTART', serviceId });
    await cluster.waitOperation(restart.operationId, 'COMPLETED');
    const [next] = await cluster.instances(serviceId, 'HEALTHY');
    expect(next.instanceId).not.toBe(instance.instanceId);
    expect(next.localInfo.ports.metrics.hostPort).toBe(port);
    await cluster.waitOperation((await cluster.submit({ type: 'DEACTIVATE', serviceId })).operationId, 'COMPLETED');
    await cluster.submit({ type: 'DESTROY', serviceId });
  }, 60_000);

  it('a service that cannot start fails its activation with the reason, and the monitor retries it ever more slowly', async () => {
    const spec = agentSpec('broken', marker, { executable: { type: 'PROCESS', command: '/nonexistent/agent' }, args: [] });
    const { serviceId } = await cluster.submit({ type: 'CREATE', spec, instancesPerHost: 1 });
    const activate = await cluster.submit({ type: 'ACTIVATE', serviceId, opSpec: undefined });
    const failed = await cluster.waitOperation(activate.operationId, ['FAILED', 'TIMED_OUT']);
    expect(failed.result.details.messageList.some((m: { message: string }) => /did not become healthy/.test(m.message))).toBe(true);
    expect((await cluster.summary(serviceId)).activationState).toBe('ACTIVE');
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const retries = (await cluster.api.get('/apis/v1/operations?type=ADJUST_INSTANCES&size=1000')).body.data
      .filter((o: { serviceId?: string; createdBy: string; created: number }) => o.serviceId === serviceId && o.createdBy === 'controller' && o.created >= started);
    // Every 0.5 s without a backoff would be 16; doubling from 0.5 s allows at most 5 in 8 s.
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries.length).toBeLessThanOrEqual(6);
    await waitFor(async () => (await cluster.post({ type: 'DEACTIVATE', serviceId })).body.status === 'SUCCESS', { timeoutMs: 30_000, message: 'deactivated' });
    await waitFor(async () => (await cluster.summary(serviceId)).state === 'INACTIVE', { timeoutMs: 30_000 });
    await cluster.submit({ type: 'DESTROY', serviceId });
  }, 90_000);
});
