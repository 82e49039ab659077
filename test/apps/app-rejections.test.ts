/**
 * Bad input and refused operations (docs/api.md §2.1, §2.4, §6): the exact messages, every problem
 * listed, and nothing half-created.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { appSpec, createOp, FAST_OPSPEC, startAppCluster, type AppCluster } from './app-test-env.ts';

let env: AppCluster;

beforeAll(async () => {
  env = await startAppCluster({ executors: 1, sim: { cores: 4, memoryMB: 1024 } });
});
afterAll(async () => {
  await env?.close();
  await stopAllTestProcesses();
});

async function noRecords(appId: string): Promise<void> {
  expect((await env.api.get(`/apis/v1/applications/${appId}`)).body).toEqual({ status: 'FAILED', message: `App ${appId} not found` });
  expect((await env.api.get(`/apis/v1/operations?appId=${appId}`)).body.data).toEqual([]);
}

describe('spec problems', () => {
  it('lists every §6 problem of a CREATE and creates nothing', async () => {
    const spec = appSpec('bad-spec', {
      exposedPorts: [{ name: 'http', port: 8080, type: 'HTTP' }],
      healthcheck: { mode: { type: 'HTTP', portName: 'nope', path: '/', verb: 'GET', successCodes: [200] }, timeout: '1s', interval: '1s', attempts: 1 },
      exposureSpec: { vhost: 'x', portName: 'missing', mode: 'ALL' },
      placementPolicy: { type: 'LOCAL' },
    });
    await env.reject(createOp(spec), [
      'Invalid port name for health check: nope. Available ports: [http]',
      'Exposed port name missing is undefined. Defined port names: [http]',
      'Local service placement is not allowed for apps',
    ]);
    await noRecords('bad-spec-1');
  });

  it('constraint violations come back as property messages', async () => {
    const { status, body } = await env.api.post('/apis/v1/applications/operations', {
      type: 'CREATE', spec: appSpec('bad-fields', { resources: [], exposedPorts: [] }), opSpec: { ...FAST_OPSPEC, parallelism: 0 },
    });
    expect(status).toBe(400);
    expect(body.message).toBe('Command validation failure');
    expect(body.data.validationErrors.length).toBeGreaterThanOrEqual(3);
    expect(body.data.validationErrors.join('\n')).toMatch(/opSpec\.parallelism/);
    await noRecords('bad-fields-1');
  });

  it('malformed JSON and unknown discriminators are JSON validation failures', async () => {
    const bad = await env.api.post('/apis/v1/applications/operations', '{"type": "CREATE", ', { headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('JSON validation failure');
    const scaleInstances = await env.api.post('/apis/v1/applications/operations', { type: 'SCALE_INSTANCES', appId: 'x-1', requiredInstances: 1, opSpec: FAST_OPSPEC });
    expect(scaleInstances.status).toBe(400);
    expect(scaleInstances.body.message).toBe('JSON validation failure');
  });

  it('validate/spec answers {valid: true} or every problem, and never creates', async () => {
    const ok = await env.api.post('/apis/v1/applications/validate/spec', appSpec('just-validate'));
    expect(ok.body).toEqual({ status: 'SUCCESS', data: { valid: true }, message: 'success' });
    const bad = await env.api.post('/apis/v1/applications/validate/spec', appSpec('just-validate', { exposureSpec: { vhost: 'v', portName: 'zzz' } }));
    expect(bad.status).toBe(400);
    expect(bad.body.data.validationErrors).toEqual(['Exposed port name zzz is undefined. Defined port names: [http]']);
    await noRecords('just-validate-1');
  });
});

describe('state rules (§2.4) and the exact §2.1 messages', () => {
  it('answers unknown apps, duplicates and disallowed operations', async () => {
    await env.reject({ type: 'SCALE', appId: 'ghost-1', requiredInstances: 1, opSpec: FAST_OPSPEC }, ['No state found for app: ghost-1']);
    const { appId, operationId } = await env.submit(createOp(appSpec('rules')));
    await env.waitOperation(operationId, 'COMPLETED');
    await env.reject(createOp(appSpec('rules')), [`App ${appId} already exists`]);
    await env.reject({ type: 'STOP_INSTANCES', appId, instanceIds: ['AI-x'], opSpec: FAST_OPSPEC },
      [`Only [DESTROY, RECOVER, SCALE_INSTANCES, START_INSTANCES, SUSPEND] allowed for app ${appId} as it is in MONITORING state`]);
    await env.reject({ type: 'REPLACE_INSTANCES', appId, opSpec: FAST_OPSPEC },
      [`Only [DESTROY, RECOVER, SCALE_INSTANCES, START_INSTANCES, SUSPEND] allowed for app ${appId} as it is in MONITORING state`]);
  });

  it('while SCALING_REQUESTED only SCALE is allowed; DESTROY_REQUESTED allows nothing', async () => {
    for (const sim of env.sims) sim.outcome = () => 'hang';
    try {
      const { appId } = await env.submit(createOp(appSpec('busy')));
      const scale = await env.submit({ type: 'SCALE', appId, requiredInstances: 1, opSpec: { ...FAST_OPSPEC, timeout: '10s' } });
      await env.reject({ type: 'SUSPEND', appId, opSpec: FAST_OPSPEC }, [`Only [SCALE_INSTANCES] allowed for app ${appId} as it is in SCALING_REQUESTED state`]);
      await env.reject({ type: 'RECOVER', appId }, [`Only [SCALE_INSTANCES] allowed for app ${appId} as it is in SCALING_REQUESTED state`]);
      await env.api.post(`/apis/v1/operations/abort`, { operationIds: [scale.operationId], mode: 'FORCE' });
      await env.waitOperation(scale.operationId, 'CANCELLED');
    } finally {
      for (const sim of env.sims) sim.outcome = () => 'healthy';
    }
  });

  it('STOP_INSTANCES and REPLACE_INSTANCES name the ids that do not qualify', async () => {
    const { appId, operationId } = await env.submit(createOp(appSpec('ids'), 1));
    await env.waitOperation(operationId, 'COMPLETED');
    await env.reject({ type: 'STOP_INSTANCES', appId, instanceIds: ['AI-nope', 'AI-gone'], opSpec: FAST_OPSPEC },
      [`App ${appId} does not have any instances with the following ids: AI-nope,AI-gone`]);
    await env.reject({ type: 'REPLACE_INSTANCES', appId, instanceIds: ['AI-nope'], opSpec: FAST_OPSPEC },
      ['There are no replaceable healthy instances with ids: [AI-nope]']);
    expect((await env.summary(appId)).state).toBe('RUNNING');
  });

  it('capacity checks (§2.3.9) and "No executors on cluster"', async () => {
    const { appId, operationId } = await env.submit(createOp(appSpec('big', { resources: [{ type: 'CPU', count: 2 }, { type: 'MEMORY', sizeInMB: 512 }] })));
    await env.waitOperation(operationId, 'COMPLETED');
    await env.reject({ type: 'SCALE', appId, requiredInstances: 3, opSpec: FAST_OPSPEC }, [
      expect.stringMatching(/^Cluster does not have enough CPU\. Required: 6 Available: \d+$/) as unknown as string,
      expect.stringMatching(/^Cluster does not have enough Memory\. Required: 1536 Available: \d+$/) as unknown as string,
    ]);
    const wide = await env.submit(createOp(appSpec('wide', { resources: [{ type: 'CPU', count: 8 }, { type: 'MEMORY', sizeInMB: 16 }] })));
    await env.waitOperation(wide.operationId, 'COMPLETED');
    await env.reject({ type: 'START_INSTANCES', appId: wide.appId, instances: 1, opSpec: FAST_OPSPEC }, [
      expect.stringMatching(/^Cluster does not have enough CPU\. Required: 8 Available: \d+$/) as unknown as string,
      'Required cores exceeds the maximum core available on a single NUMA node in the cluster. Required: 8 Max: 4',
    ]);
    expect(await env.summary(appId)).toMatchObject({ state: 'MONITORING', requiredInstances: 0 });
    const sim = env.sims[0];
    sim.disconnect();
    await waitFor(() => env.controller.ctx?.executors.get(sim.executorId)?.connected === false);
    try {
      await env.reject({ type: 'SCALE', appId, requiredInstances: 1, opSpec: FAST_OPSPEC }, ['No executors on cluster']);
    } finally {
      await sim.reconnect();
    }
  });

  it('maintenance mode refuses operations with the Drove message', async () => {
    await env.api.post('/apis/v1/cluster/maintenance/set');
    try {
      await env.reject(createOp(appSpec('in-maintenance')), ['Cluster is in maintenance mode']);
      await noRecords('in-maintenance-1');
    } finally {
      await env.api.post('/apis/v1/cluster/maintenance/unset');
    }
  });

  it('read endpoints answer unknown ids as Drove does', async () => {
    expect((await env.api.get('/apis/v1/applications/nope-1/spec')).body).toEqual({ status: 'FAILED', message: 'App nope-1 not found' });
    expect((await env.api.get('/apis/v1/applications/nope-1/instances')).body).toEqual({ status: 'SUCCESS', data: [], message: 'success' });
    expect((await env.api.get('/apis/v1/applications/nope-1/instances/AI-1')).body).toEqual({ status: 'FAILED', message: 'No such application instance nope-1/AI-1' });
    expect((await env.api.get('/apis/v1/applications/nope-1/instances?state=healthy')).status).toBe(400);
    expect((await env.api.get('/apis/v1/applications?size=abc')).status).toBe(400);
    expect((await env.api.post('/apis/v1/applications/operations/nope-1/cancel')).body).toEqual({ status: 'FAILED', message: 'Current operation could not be cancelled' });
  });

  it('the read-only user may read but not operate', async () => {
    const guest = env.controller.api({ user: 'guest', password: 'guest' });
    expect((await guest.get('/apis/v1/applications')).status).toBe(200);
    expect((await guest.post('/apis/v1/applications/operations', createOp(appSpec('guest-app')))).status).toBe(403);
    expect((await guest.post('/apis/v1/operations/abort', {})).status).toBe(403);
    await noRecords('guest-app-1');
  });
});
