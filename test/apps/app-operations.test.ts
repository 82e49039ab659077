/**
 * Drove's application operations (docs/sources.md#drove-apps) against a real controller and scripted executors
 * (sim-executor.ts): counts, states, oldest-first scale-down, rolling replace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { appSpec, createOp, FAST_OPSPEC, startAppCluster, type AppCluster } from './app-test-env.ts';

let env: AppCluster;

beforeAll(async () => {
  env = await startAppCluster({ executors: 2 });
});
afterAll(async () => {
  await env?.close();
  await stopAllTestProcesses();
});

describe('checkpoints', () => {
  it('a started instance is stored, naming its operation, before the executor is told to start it', async () => {
    // What a controller that dies right after the start resumes from: the checkpoint is written
    // coalesced (a step that missed it gets its instance back by this operationId: reattachOrphans).
    const { appId, operationId } = await env.submit(createOp(appSpec('checkpointed')));
    await env.waitOperation(operationId, 'COMPLETED');
    const seen: Promise<string | undefined>[] = [];
    const store = env.controller.ctx!.store;
    for (const sim of env.sims) {
      sim.outcome = (message) => {
        // Read the store the moment the start arrives.
        seen.push(store.getInstance(message.appId, message.instanceId).then((record) => record?.operationId));
        return 'healthy';
      };
    }
    try {
      const scaleId = (await env.submit({ type: 'SCALE', appId, requiredInstances: 2, opSpec: FAST_OPSPEC })).operationId;
      await env.waitOperation(scaleId, 'COMPLETED');
      expect(await Promise.all(seen)).toEqual([scaleId, scaleId]);
    } finally {
      for (const sim of env.sims) sim.outcome = () => 'healthy';
    }
  });
});

describe('CREATE', () => {
  it('registers the app in MONITORING with the Drove summary shape and an operation id', async () => {
    const { appId, operationId } = await env.submit(createOp(appSpec('create-a')));
    expect(appId).toBe('create-a-1');
    expect(operationId).toMatch(/^OP-/);
    const op = await env.waitOperation(operationId, 'COMPLETED');
    expect(op).toMatchObject({ type: 'CREATE', appId, target: { kind: 'app', appId }, createdBy: 'admin', opSpec: { timeout: '5 seconds', parallelism: 4, failureStrategy: 'STOP' } });
    expect(op.result).toMatchObject({ kind: 'Status', status: 'success' });
    const summary = await env.summary(appId);
    expect(summary).toEqual({
      id: appId, name: 'create-a', requiredInstances: 0, healthyInstances: 0, totalCPUs: 0, totalMemory: 0,
      tags: { team: 'corral' }, state: 'MONITORING', created: expect.any(Number), updated: expect.any(Number),
    });
  });

  it('with instances > 0 starts them at once and ends RUNNING', async () => {
    const { appId, operationId } = await env.submit(createOp(appSpec('create-b'), 3));
    await env.waitOperation(operationId, 'COMPLETED');
    expect(await env.summary(appId)).toMatchObject({ state: 'RUNNING', requiredInstances: 3, healthyInstances: 3, totalCPUs: 3, totalMemory: 192 });
    const instances = await env.instances(appId);
    expect(instances.map((i) => i.state)).toEqual(['HEALTHY', 'HEALTHY', 'HEALTHY']);
    // Placement spreads over both executors (least allocated first).
    expect(new Set(instances.map((i) => i.executorId)).size).toBe(2);
    const one = instances[0];
    expect(one).toMatchObject({ appId, appName: 'create-b', errorMessage: '', metadata: {}, localInfo: { hostname: expect.stringMatching(/^sim-/) } });
    expect(one.instanceId).toMatch(/^AI-[0-9a-f-]{36}$/);
    expect(one.localInfo.ports.http).toEqual({ containerPort: 8080, hostPort: expect.any(Number), portType: 'HTTP' });
    expect(one.resources).toEqual([{ type: 'CPU', cores: { 0: [expect.any(Number)] } }, { type: 'MEMORY', memoryInMB: { 0: 64 } }]);
  });
});

describe('SCALE, START_INSTANCES, SUSPEND', () => {
  it('START_INSTANCES scales to healthy + n and passes through SCALING_REQUESTED', async () => {
    const { appId } = await env.submit(createOp(appSpec('start-a'), 1));
    await waitFor(async () => (await env.summary(appId)).healthyInstances === 1);
    const { operationId } = await env.submit({ type: 'START_INSTANCES', appId, instances: 2, opSpec: FAST_OPSPEC });
    expect((await env.summary(appId)).requiredInstances).toBe(3);
    const op = await env.waitOperation(operationId, 'COMPLETED');
    expect(op.progress).toEqual({ total: 2, done: 2, failed: 0, inFlight: 0 });
    expect(await env.summary(appId)).toMatchObject({ state: 'RUNNING', requiredInstances: 3, healthyInstances: 3 });
    const { body } = await env.api.get(`/apis/v1/cluster/events?lastSyncTime=0&size=5000`);
    const states = body.data.filter((e: { type: string; metadata: { APP_ID: string } }) => e.type === 'APP_STATE_CHANGE' && e.metadata.APP_ID === appId)
      .map((e: { metadata: { CURRENT_STATE: string } }) => e.metadata.CURRENT_STATE).reverse();
    expect(states).toContain('SCALING_REQUESTED');
    expect(states.at(-1)).toBe('RUNNING');
  });

  it('scale-down stops the oldest instances first', async () => {
    const { appId, operationId } = await env.submit(createOp(appSpec('scale-down'), 4, { ...FAST_OPSPEC, parallelism: 1 }));
    await env.waitOperation(operationId, 'COMPLETED');
    const before = await env.instances(appId);
    const byAge = [...before].sort((a, b) => a.created - b.created).map((i) => i.instanceId);
    const scale = await env.submit({ type: 'SCALE', appId, requiredInstances: 1, opSpec: FAST_OPSPEC });
    await env.waitOperation(scale.operationId, 'COMPLETED');
    const after = await env.instances(appId);
    expect(after.map((i) => i.instanceId)).toEqual([byAge[3]]);
    const { body: old } = await env.api.get(`/apis/v1/applications/${appId}/instances/old`);
    expect(old.data.map((i: { instanceId: string }) => i.instanceId).sort()).toEqual(byAge.slice(0, 3).sort());
    expect(old.data.every((i: { state: string }) => i.state === 'STOPPED')).toBe(true);
    expect(await env.summary(appId)).toMatchObject({ state: 'RUNNING', requiredInstances: 1, healthyInstances: 1 });
  });

  it('SUSPEND scales to 0 and ends MONITORING; SUSPEND in MONITORING is a no-op success', async () => {
    const { appId, operationId } = await env.submit(createOp(appSpec('suspend'), 2));
    await env.waitOperation(operationId, 'COMPLETED');
    const suspend = await env.submit({ type: 'SUSPEND', appId, opSpec: FAST_OPSPEC });
    expect((await env.summary(appId)).requiredInstances).toBe(0);
    await env.waitOperation(suspend.operationId, 'COMPLETED');
    expect(await env.summary(appId)).toMatchObject({ state: 'MONITORING', requiredInstances: 0, healthyInstances: 0 });
    expect(await env.instances(appId)).toEqual([]);
    const again = await env.submit({ type: 'SUSPEND', appId, opSpec: FAST_OPSPEC });
    await env.waitOperation(again.operationId, 'COMPLETED');
    expect((await env.summary(appId)).state).toBe('MONITORING');
  });

  it('a SCALE while SCALING_REQUESTED supersedes the target', async () => {
    for (const sim of env.sims) sim.stepMs = 60;
    try {
      const { appId } = await env.submit(createOp(appSpec('supersede')));
      const first = await env.submit({ type: 'SCALE', appId, requiredInstances: 6, opSpec: { ...FAST_OPSPEC, parallelism: 1 } });
      await waitFor(async () => (await env.operation(first.operationId)).progress.inFlight === 1);
      const second = await env.submit({ type: 'SCALE', appId, requiredInstances: 2, opSpec: FAST_OPSPEC });
      expect((await env.waitOperation(first.operationId, 'CANCELLED')).result.message).toMatch(/Superseded/);
      await env.waitOperation(second.operationId, 'COMPLETED');
      expect(await env.summary(appId)).toMatchObject({ state: 'RUNNING', requiredInstances: 2, healthyInstances: 2 });
    } finally {
      for (const sim of env.sims) sim.stepMs = 5;
    }
  });
});

describe('STOP_INSTANCES and REPLACE_INSTANCES', () => {
  it('STOP_INSTANCES with skipRespawn reduces the expected count', async () => {
    const { appId, operationId } = await env.submit(createOp(appSpec('stop-skip'), 3));
    await env.waitOperation(operationId, 'COMPLETED');
    const [victim] = await env.instances(appId);
    const stop = await env.submit({ type: 'STOP_INSTANCES', appId, instanceIds: [victim.instanceId], skipRespawn: true, opSpec: FAST_OPSPEC });
    expect((await env.summary(appId)).state).toBe('STOP_INSTANCES_REQUESTED');
    await env.waitOperation(stop.operationId, 'COMPLETED');
    expect(await env.summary(appId)).toMatchObject({ state: 'RUNNING', requiredInstances: 2, healthyInstances: 2 });
    const { body } = await env.api.get(`/apis/v1/applications/${appId}/instances/${victim.instanceId}`);
    expect(body.data.state).toBe('STOPPED');
  });

  it('STOP_INSTANCES without skipRespawn starts the replacement before stopping', async () => {
    const { appId, operationId } = await env.submit(createOp(appSpec('stop-respawn'), 2));
    await env.waitOperation(operationId, 'COMPLETED');
    const [victim, keeper] = await env.instances(appId);
    const stop = await env.submit({ type: 'STOP_INSTANCES', appId, instanceIds: [victim.instanceId], opSpec: FAST_OPSPEC });
    await env.waitOperation(stop.operationId, 'COMPLETED');
    const after = await env.instances(appId);
    expect(after).toHaveLength(2);
    expect(after.map((i) => i.instanceId)).toContain(keeper.instanceId);
    expect(after.map((i) => i.instanceId)).not.toContain(victim.instanceId);
    expect(await env.summary(appId)).toMatchObject({ state: 'RUNNING', requiredInstances: 2, healthyInstances: 2 });
    // The replacement was started before the stop was sent.
    const log = env.sims.flatMap((s) => s.log).sort((a, b) => a.at - b.at)
      .filter((m) => m.type === 'stopInstance' ? m.instanceId === victim.instanceId : m.appId === appId);
    const stopIndex = log.findIndex((m) => m.type === 'stopInstance');
    expect(log.slice(0, stopIndex).filter((m) => m.type === 'startInstance')).toHaveLength(3);
  });

  it('REPLACE_INSTANCES is a rolling restart that never drops to zero healthy', async () => {
    for (const sim of env.sims) sim.stepMs = 15;
    try {
      const { appId, operationId } = await env.submit(createOp(appSpec('rolling'), 3));
      await env.waitOperation(operationId, 'COMPLETED');
      const before = (await env.instances(appId)).map((i) => i.instanceId);
      const replace = await env.submit({ type: 'REPLACE_INSTANCES', appId, instanceIds: [], opSpec: { ...FAST_OPSPEC, parallelism: 1 } });
      let minHealthy = Infinity;
      let maxHealthy = 0;
      let done = false;
      while (!done) {
        const healthy = env.module.model.healthyCount(appId);
        minHealthy = Math.min(minHealthy, healthy);
        maxHealthy = Math.max(maxHealthy, healthy);
        done = (await env.operation(replace.operationId)).state === 'COMPLETED';
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(minHealthy).toBeGreaterThanOrEqual(2);
      expect(maxHealthy).toBeLessThanOrEqual(4);
      const after = (await env.instances(appId)).map((i) => i.instanceId);
      expect(after).toHaveLength(3);
      expect(after.filter((id) => before.includes(id))).toEqual([]);
      expect(await env.summary(appId)).toMatchObject({ state: 'RUNNING', healthyInstances: 3 });
    } finally {
      for (const sim of env.sims) sim.stepMs = 5;
    }
  });

  it('REPLACE_INSTANCES with stopFirst replaces the listed instance only', async () => {
    const { appId, operationId } = await env.submit(createOp(appSpec('replace-one'), 2));
    await env.waitOperation(operationId, 'COMPLETED');
    const [target, other] = await env.instances(appId);
    const replace = await env.submit({ type: 'REPLACE_INSTANCES', appId, instanceIds: [target.instanceId], stopFirst: true, opSpec: FAST_OPSPEC });
    expect((await env.waitOperation(replace.operationId, 'COMPLETED')).progress).toMatchObject({ total: 1, done: 1 });
    const ids = (await env.instances(appId)).map((i) => i.instanceId);
    expect(ids).toHaveLength(2);
    expect(ids).toContain(other.instanceId);
    expect(ids).not.toContain(target.instanceId);
  });
});

describe('DESTROY', () => {
  it('only from MONITORING, then every record is gone and the appId can be created again', async () => {
    const { appId, operationId } = await env.submit(createOp(appSpec('destroy-me'), 1));
    await env.waitOperation(operationId, 'COMPLETED');
    await env.reject({ type: 'DESTROY', appId, opSpec: FAST_OPSPEC }, [
      `Only [RECOVER, REPLACE_INSTANCES, SCALE_INSTANCES, START_INSTANCES, STOP_INSTANCES, SUSPEND] allowed for app ${appId} as it is in RUNNING state`,
    ]);
    const suspend = await env.submit({ type: 'SUSPEND', appId, opSpec: FAST_OPSPEC });
    await env.waitOperation(suspend.operationId, 'COMPLETED');
    const destroy = await env.submit({ type: 'DESTROY', appId, opSpec: FAST_OPSPEC });
    await env.waitOperation(destroy.operationId, 'COMPLETED');
    const { body } = await env.api.get(`/apis/v1/applications/${appId}`);
    expect(body).toEqual({ status: 'FAILED', message: `App ${appId} not found` });
    expect((await env.api.get(`/apis/v1/applications/${appId}/instances/old`)).body).toEqual({ status: 'SUCCESS', data: [], message: 'success' });
    const again = await env.submit(createOp(appSpec('destroy-me')));
    await env.waitOperation(again.operationId, 'COMPLETED');
  });
});

describe('reads and events', () => {
  it('serves the spec masked with durations in long form, and pages the app list in appId order', async () => {
    const spec = appSpec('masked', {
      configs: [{ type: 'INLINE', localFilename: '/etc/app.yml', data: Buffer.from('secret: 1').toString('base64') }],
      readiness: { mode: { type: 'CMD', command: 'true' }, timeout: '1s', interval: '5m', attempts: 1 },
    });
    const { appId, operationId } = await env.submit(createOp(spec));
    await env.waitOperation(operationId, 'COMPLETED');
    const { body } = await env.api.get(`/apis/v1/applications/${appId}/spec`);
    expect(body.data.configs).toEqual([{ type: 'INLINE', localFilename: '/etc/app.yml', data: '' }]);
    expect(body.data.readiness).toMatchObject({ timeout: '1 second', interval: '5 minutes', attempts: 1 });
    const all = Object.keys((await env.api.get('/apis/v1/applications')).body.data);
    expect(all).toEqual([...all].sort());
    const page = (await env.api.get('/apis/v1/applications?from=1&size=2')).body.data;
    expect(Object.keys(page)).toEqual(all.slice(1, 3));
  });

  it('emits APP_STATE_CHANGE and INSTANCE_STATE_CHANGE with the §4.8.4 metadata, and executors are told to forget', async () => {
    const since = Date.now() - 1;
    const { appId, operationId } = await env.submit(createOp(appSpec('evented'), 1));
    await env.waitOperation(operationId, 'COMPLETED');
    const [instance] = await env.instances(appId);
    const suspend = await env.submit({ type: 'SUSPEND', appId, opSpec: FAST_OPSPEC });
    await env.waitOperation(suspend.operationId, 'COMPLETED');
    const events = (await env.api.get(`/apis/v1/cluster/events?lastSyncTime=${since}&size=1000`)).body.data.reverse();
    const app = events.filter((e: { type: string; metadata: { APP_ID: string } }) => e.type === 'APP_STATE_CHANGE' && e.metadata.APP_ID === appId);
    expect(app[0].metadata).toEqual({
      APP_ID: appId, APP_NAME: 'evented', APP_VERSION: '1', EXECUTABLE: '/bin/true', CPU_COUNT: 1, MEMORY: 64,
      PLACEMENT_POLICY: 'ANY', PORTS: 'http:8080:http', VHOST: 'evented.test', CURRENT_INSTANCES: 1, CURRENT_STATE: 'RUNNING',
    });
    expect(app.at(-1).metadata.CURRENT_STATE).toBe('MONITORING');
    const mine = events.filter((e: { type: string; metadata: { INSTANCE_ID: string } }) => e.type === 'INSTANCE_STATE_CHANGE' && e.metadata.INSTANCE_ID === instance.instanceId);
    expect(mine.map((e: { metadata: { CURRENT_STATE: string } }) => e.metadata.CURRENT_STATE)).toEqual([
      'PENDING', 'PROVISIONING', 'STARTING', 'UNREADY', 'READY', 'HEALTHY', 'STOPPING', 'DEPROVISIONING', 'STOPPED',
    ]);
    expect(mine[5].metadata).toEqual({
      APP_ID: appId, APP_NAME: 'evented', INSTANCE_ID: instance.instanceId, EXECUTOR_ID: instance.executorId,
      EXECUTOR_HOST: instance.localInfo.hostname, PORTS: `http:${instance.localInfo.ports.http.hostPort}:http`,
      CURRENT_STATE: 'HEALTHY', CREATED: instance.created,
    });
    // Operation state changes are corral's own: never on the Drove event list.
    expect(events.some((e: { type: string }) => e.type === 'OPERATION_STATE_CHANGE')).toBe(false);
    await waitFor(() => env.sims.every((s) => !s.instances.has(instance.instanceId)));
  });
});

describe('placement', () => {
  it('ONE_PER_HOST holds even for starts placed concurrently in one operation', async () => {
    const { appId } = await env.submit(createOp(appSpec('one-per-host', { placementPolicy: { type: 'ONE_PER_HOST' } })));
    const { operationId } = await env.submit({ type: 'SCALE', appId, requiredInstances: 3, opSpec: { ...FAST_OPSPEC, parallelism: 3, failureStrategy: 'STOP' } });
    const op = await env.waitOperation(operationId, 'FAILED');
    expect(op.result.details.messageList.find((m: { error: boolean }) => m.error).message).toMatch(/placement policy/);
    const instances = await env.instances(appId);
    expect(instances).toHaveLength(2);
    expect(new Set(instances.map((i) => i.executorId)).size).toBe(2);
    await env.api.post('/apis/v1/operations/abort', { mode: 'FORCE' });
  });
});
