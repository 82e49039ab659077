/**
 * A local service through its whole life on a real controller and three real executors
 * (process driver, a real HTTP server per instance): created INACTIVE, one test instance under
 * CONFIG_TESTING, then `instancesPerHost` HEALTHY instances on every executor, resized, replaced
 * rolling, restarted, instances stopped and recreated by the monitor, deactivated and destroyed.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { openEventStream } from '../helpers/event-stream-client.ts';
import { agents, agentSpec, FAST_OPSPEC, killMarked, startLocalServiceCluster, waitPerHost, type LocalServiceCluster } from './local-service-cluster.ts';

let cluster: LocalServiceCluster;
const markers: string[] = [];
const mark = () => {
  const m = randomUUID();
  markers.push(m);
  return m;
};

beforeAll(async () => {
  cluster = await startLocalServiceCluster({ executors: 3 });
}, 60_000);
afterAll(async () => {
  await stopAllTestProcesses();
  for (const m of markers) killMarked(m);
});

const executorIds = () => cluster.executors.map((e) => e.executorId);

describe('local service lifecycle', () => {
  it('CREATE → CONFIG_TESTING (one test instance) → ACTIVE (instancesPerHost on every executor) → resize → DEACTIVATE → DESTROY', async () => {
    const marker = mark();
    const stream = await openEventStream(cluster.controller.url, { query: 'type=LOCAL_SERVICE_STATE_CHANGE&type=LOCAL_SERVICE_INSTANCE_STATE_CHANGE' });
    const created = await cluster.submit({ type: 'CREATE', spec: agentSpec('node-agent', marker), instancesPerHost: 1 });
    expect(created.serviceId).toBe('node-agent-1');
    expect(created.operationId).toMatch(/^OP-/);
    await cluster.waitOperation(created.operationId, 'COMPLETED');
    expect(await cluster.summary('node-agent-1')).toMatchObject({
      id: 'node-agent-1', name: 'node-agent', instancesPerHost: 1, healthyInstances: 0, totalCPUs: 0, totalMemory: 0,
      tags: { owner: 'platform' }, activationState: 'INACTIVE', state: 'INACTIVE',
    });
    expect(agents(marker)).toEqual([]);

    // CONFIG_TESTING: exactly one instance in the cluster.
    const test = await cluster.submit({ type: 'DEPLOY_TEST_INSTANCE', serviceId: 'node-agent-1' });
    await cluster.waitOperation(test.operationId, 'COMPLETED');
    const [testInstance, ...others] = await cluster.instances('node-agent-1');
    expect(others).toEqual([]);
    expect(testInstance).toMatchObject({ serviceId: 'node-agent-1', serviceName: 'node-agent', state: 'HEALTHY', errorMessage: '' });
    expect(testInstance.instanceId).toMatch(/^SI-[0-9a-f-]{36}$/);
    expect(Object.keys(testInstance).slice(0, 4)).toEqual(['serviceId', 'serviceName', 'instanceId', 'executorId']);
    const port = testInstance.localInfo.ports.metrics.hostPort;
    expect(await (await fetch(`http://127.0.0.1:${port}/whoami`)).text()).toBe(`node-agent-1 ${testInstance.instanceId} node-agent`);
    expect((await cluster.summary('node-agent-1')).state).toBe('CONFIG_TESTING');
    expect(agents(marker)).toHaveLength(1);

    // ACTIVE: one per executor, the test instance kept where it is.
    const activate = await cluster.submit({ type: 'ACTIVATE', serviceId: 'node-agent-1' });
    await cluster.waitOperation(activate.operationId, 'COMPLETED');
    await waitPerHost(cluster, 'node-agent-1', executorIds(), 1);
    expect((await cluster.instances('node-agent-1')).map((i) => i.instanceId)).toContain(testInstance.instanceId);
    expect(await cluster.summary('node-agent-1')).toMatchObject({ state: 'ACTIVE', activationState: 'ACTIVE', healthyInstances: 3, totalCPUs: 3, totalMemory: 96 });
    const clusterSummary = (await cluster.api.get('/apis/v1/cluster')).body.data;
    expect(clusterSummary).toMatchObject({ numLocalServices: 1, numActiveLocalServices: 1 });
    const details = (await cluster.api.get(`/apis/v1/cluster/executors/${executorIds()[1]}`)).body.data;
    expect(details.serviceInstances).toHaveLength(1);
    expect(details.serviceInstances[0]).toMatchObject({ serviceId: 'node-agent-1', executorId: executorIds()[1], state: 'HEALTHY' });
    expect(agents(marker)).toHaveLength(3);

    // UPDATE_INSTANCE_COUNT: two per executor.
    const resize = await cluster.submit({ type: 'UPDATE_INSTANCE_COUNT', serviceId: 'node-agent-1', instancesPerHost: 2 });
    await cluster.waitOperation(resize.operationId, 'COMPLETED');
    await waitPerHost(cluster, 'node-agent-1', executorIds(), 2);
    expect(agents(marker)).toHaveLength(6);

    const down = await cluster.submit({ type: 'UPDATE_INSTANCE_COUNT', serviceId: 'node-agent-1', instancesPerHost: 1 });
    await cluster.waitOperation(down.operationId, 'COMPLETED');
    await waitPerHost(cluster, 'node-agent-1', executorIds(), 1);
    await waitFor(() => agents(marker).length === 3, { timeoutMs: 15_000, message: 'three agents' });

    // STOP is DEACTIVATE's alias: every instance stopped.
    const stop = await cluster.submit({ type: 'STOP', serviceId: 'node-agent-1' });
    await cluster.waitOperation(stop.operationId, 'COMPLETED');
    expect(await cluster.instances('node-agent-1')).toEqual([]);
    expect(await cluster.summary('node-agent-1')).toMatchObject({ state: 'INACTIVE', activationState: 'INACTIVE' });
    await waitFor(() => agents(marker).length === 0, { timeoutMs: 15_000, message: 'no agent left' });
    const old = (await cluster.api.get('/apis/v1/localservices/node-agent-1/instances/old')).body.data;
    expect(old.length).toBeGreaterThanOrEqual(6);
    expect(new Set(old.map((i: { state: string }) => i.state))).toEqual(new Set(['STOPPED']));

    const destroy = await cluster.submit({ type: 'DESTROY', serviceId: 'node-agent-1' });
    await cluster.waitOperation(destroy.operationId, 'COMPLETED');
    expect((await cluster.api.get('/apis/v1/localservices/node-agent-1')).body).toEqual({ status: 'FAILED', message: 'Local service node-agent-1 not found' });
    expect((await cluster.api.get('/apis/v1/localservices/node-agent-1/instances/old')).body.data).toEqual([]);

    // The state-machine steps as events, DESTROYED last; instance events name the service.
    await waitFor(() => stream.events.some((e) => e.metadata?.CURRENT_STATE === 'DESTROYED'), { timeoutMs: 10_000, message: 'DESTROYED event' });
    const states = stream.events.filter((e) => e.type === 'LOCAL_SERVICE_STATE_CHANGE').map((e) => e.metadata.CURRENT_STATE);
    expect(states[0]).toBe('INACTIVE');
    expect(states).toEqual(expect.arrayContaining(['CONFIG_TESTING_REQUESTED', 'CONFIG_TESTING', 'ADJUSTING_INSTANCES', 'ACTIVATION_REQUESTED', 'ACTIVE', 'UPDATING_INSTANCES_COUNT', 'DEACTIVATION_REQUESTED', 'DESTROY_REQUESTED']));
    expect(states.at(-1)).toBe('DESTROYED');
    const first = stream.events.find((e) => e.type === 'LOCAL_SERVICE_STATE_CHANGE')!.metadata;
    expect(first).toMatchObject({ LOCAL_SERVICE_ID: 'node-agent-1', LOCAL_SERVICE_NAME: 'node-agent', LOCAL_SERVICE_VERSION: '1', PLACEMENT_POLICY: 'LOCAL', CURRENT_INSTANCES_PER_HOST: 1, CPU_COUNT: 1, MEMORY: 32, PORTS: 'metrics:9100:http' });
    const healthy = stream.events.find((e) => e.type === 'LOCAL_SERVICE_INSTANCE_STATE_CHANGE' && e.metadata.CURRENT_STATE === 'HEALTHY')!.metadata;
    expect(healthy).toMatchObject({ SERVICE_ID: 'node-agent-1', SERVICE_NAME: 'node-agent', EXECUTOR_HOST: '127.0.0.1' });
    expect(String(healthy.PORTS)).toMatch(/^metrics:\d+:http$/);
    // Never on Drove's polling list (its Java client cannot decode them).
    const legacy = (await cluster.api.get('/apis/v1/cluster/events?lastSyncTime=0&size=1024')).body.data.events ?? [];
    expect(legacy.filter((e: { type: string }) => e.type.startsWith('LOCAL_SERVICE'))).toEqual([]);
    stream.close();

    // The id is free again.
    const again = await cluster.submit({ type: 'CREATE', spec: agentSpec('node-agent', marker), instancesPerHost: 1 });
    expect(again.serviceId).toBe('node-agent-1');
    await cluster.submit({ type: 'DESTROY', serviceId: 'node-agent-1' });
  }, 180_000);

  it('REPLACE_INSTANCES is rolling (a new one up before the old one stops), RESTART replaces all, STOP_INSTANCES are recreated', async () => {
    const marker = mark();
    const { serviceId } = await cluster.submit({ type: 'CREATE', spec: agentSpec('rolling', marker), instancesPerHost: 1 });
    await cluster.waitOperation((await cluster.submit({ type: 'ACTIVATE', serviceId })).operationId, 'COMPLETED');
    await waitPerHost(cluster, serviceId, executorIds(), 1);
    const before = await cluster.instances(serviceId);

    // Rolling, one at a time: never fewer than two HEALTHY.
    let lowest = Infinity;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        lowest = Math.min(lowest, (await cluster.instances(serviceId, 'HEALTHY')).length);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const replace = await cluster.submit({ type: 'REPLACE_INSTANCES', serviceId, opSpec: { ...FAST_OPSPEC, parallelism: 1 } });
    expect((await cluster.summary(serviceId)).state).toBe('REPLACING_INSTANCES');
    const done = await cluster.waitOperation(replace.operationId, 'COMPLETED');
    watching = false;
    await watch;
    expect(done.progress).toMatchObject({ total: 3, done: 3, failed: 0 });
    expect(lowest).toBeGreaterThanOrEqual(3);
    await waitPerHost(cluster, serviceId, executorIds(), 1);
    const after = await cluster.instances(serviceId);
    expect(after.map((i) => i.instanceId).filter((id) => before.some((b) => b.instanceId === id))).toEqual([]);
    // Each replacement on its predecessor's executor.
    expect(new Set(after.map((i) => i.executorId))).toEqual(new Set(executorIds()));

    // RESTART takes its op spec as clusterOpSpec, stopFirst honoured.
    const restart = await cluster.submit({ type: 'RESTART', serviceId, stopFirst: true, clusterOpSpec: { ...FAST_OPSPEC, parallelism: 3 } });
    const restarted = await cluster.waitOperation(restart.operationId, 'COMPLETED');
    expect(restarted.type).toBe('RESTART');
    expect(restarted.opSpec.parallelism).toBe(3);
    await waitPerHost(cluster, serviceId, executorIds(), 1);
    const fresh = await cluster.instances(serviceId);
    expect(fresh.map((i) => i.instanceId).filter((id) => after.some((b) => b.instanceId === id))).toEqual([]);

    // STOP_INSTANCES: stopped, and the monitor brings the executor back to one.
    const victim = fresh[0];
    const stopped = await cluster.submit({ type: 'STOP_INSTANCES', serviceId, instanceIds: [victim.instanceId] });
    await cluster.waitOperation(stopped.operationId, 'COMPLETED');
    await waitFor(async () => (await cluster.api.get(`/apis/v1/localservices/${serviceId}/instances/${victim.instanceId}`)).body.data?.state === 'STOPPED', { timeoutMs: 10_000 });
    await waitPerHost(cluster, serviceId, executorIds(), 1);
    const byController = (await cluster.api.get('/apis/v1/operations?type=ADJUST_INSTANCES&size=100')).body.data
      .filter((op: { serviceId?: string; createdBy: string }) => op.serviceId === serviceId && op.createdBy === 'controller');
    expect(byController.length).toBeGreaterThanOrEqual(1);

    // A process that dies is replaced on its executor too.
    const oldCount = async () => (await cluster.api.get(`/apis/v1/localservices/${serviceId}/instances/old`)).body.data.length as number;
    const endedBefore = await oldCount();
    process.kill(agents(marker)[0], 'SIGKILL');
    await waitFor(async () => (await oldCount()) > endedBefore, { timeoutMs: 15_000, message: 'the killed instance ended' });
    await waitPerHost(cluster, serviceId, executorIds(), 1);
    expect(agents(marker)).toHaveLength(3);

    await cluster.waitOperation((await cluster.submit({ type: 'DEACTIVATE', serviceId })).operationId, 'COMPLETED');
    await cluster.waitOperation((await cluster.submit({ type: 'DESTROY', serviceId })).operationId, 'COMPLETED');
    await waitFor(() => agents(marker).length === 0, { timeoutMs: 15_000, message: 'no agent left' });
  }, 180_000);
});
