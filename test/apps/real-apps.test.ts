/**
 * Application operations on real processes: a controller, two real executors (process driver)
 * and a real HTTP server as the app. Drove's application-operation promises (docs/sources.md#drove-apps) checked where they matter most:
 * counts and states, oldest first on scale-down, a rolling replace that never drops to zero,
 * and aborts (docs/operations.md) leaving the app stable and no process behind.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createOp } from './app-test-env.ts';
import { appServers, httpAppSpec, killMarked, processesWithMarker, startRealCluster, whoami, type RealCluster } from './real-cluster.ts';

const OPSPEC = { timeout: '30s', parallelism: 4, failureStrategy: 'STOP' };
let cluster: RealCluster;
const markers: string[] = [];

function marker(): string {
  const m = randomUUID();
  markers.push(m);
  return m;
}

beforeAll(async () => {
  cluster = await startRealCluster({ executors: 2 });
});
afterAll(async () => {
  await stopAllTestProcesses();
  for (const m of markers) killMarked(m);
});

describe('real processes', () => {
  it('scales 0 → 3 → 1 → 0: every HEALTHY instance answers, the oldest go first, nothing is left running', async () => {
    const mark = marker();
    const { appId } = await cluster.submit(createOp(httpAppSpec('real-scale', mark)));
    // One at a time, so `created` orders them without ties.
    const up = await cluster.submit({ type: 'SCALE', appId, requiredInstances: 3, opSpec: { ...OPSPEC, parallelism: 1 } });
    await cluster.waitOperation(up.operationId, 'COMPLETED');
    const instances = await cluster.instances(appId);
    expect(instances.map((i) => i.state)).toEqual(['HEALTHY', 'HEALTHY', 'HEALTHY']);
    expect(new Set(instances.map((i) => i.executorId)).size).toBe(2);
    for (const i of instances) expect(await whoami(i.localInfo.ports.http.hostPort)).toBe(`${appId} ${i.instanceId}`);
    expect(appServers(mark)).toHaveLength(3);

    const newest = [...instances].sort((a, b) => b.created - a.created)[0];
    const down = await cluster.submit({ type: 'SCALE', appId, requiredInstances: 1, opSpec: OPSPEC });
    await cluster.waitOperation(down.operationId, 'COMPLETED');
    expect((await cluster.instances(appId)).map((i) => i.instanceId)).toEqual([newest.instanceId]);
    expect(appServers(mark)).toHaveLength(1);

    const suspend = await cluster.submit({ type: 'SUSPEND', appId, opSpec: OPSPEC });
    await cluster.waitOperation(suspend.operationId, 'COMPLETED');
    expect(await cluster.summary(appId)).toMatchObject({ state: 'MONITORING', requiredInstances: 0, healthyInstances: 0 });
    expect(processesWithMarker(mark)).toEqual([]);
    const old = (await cluster.api.get(`/apis/v1/applications/${appId}/instances/old`)).body.data;
    expect(old.map((i: { state: string }) => i.state)).toEqual(['STOPPED', 'STOPPED', 'STOPPED']);
  });

  it('REPLACE_INSTANCES with parallelism 1 never leaves fewer than count - 1 healthy', async () => {
    const mark = marker();
    const { appId, operationId } = await cluster.submit(createOp(httpAppSpec('real-rolling', mark), 3));
    await cluster.waitOperation(operationId, 'COMPLETED');
    const before = (await cluster.instances(appId)).map((i) => i.instanceId);
    const replace = await cluster.submit({ type: 'REPLACE_INSTANCES', appId, opSpec: { ...OPSPEC, parallelism: 1 } });
    let minHealthy = Infinity;
    for (;;) {
      const healthy = await cluster.instances(appId, 'HEALTHY');
      minHealthy = Math.min(minHealthy, healthy.length);
      if ((await cluster.operation(replace.operationId)).state === 'COMPLETED') break;
    }
    expect(minHealthy).toBeGreaterThanOrEqual(2);
    const after = await cluster.instances(appId);
    expect(after.map((i) => i.state)).toEqual(['HEALTHY', 'HEALTHY', 'HEALTHY']);
    expect(after.filter((i) => before.includes(i.instanceId))).toEqual([]);
    await waitFor(() => appServers(mark).length === 3);
  });

  it('STOP_INSTANCES with skipRespawn stops exactly that process', async () => {
    const mark = marker();
    const { appId, operationId } = await cluster.submit(createOp(httpAppSpec('real-stop', mark), 2));
    await cluster.waitOperation(operationId, 'COMPLETED');
    const [victim, keeper] = await cluster.instances(appId);
    const stop = await cluster.submit({ type: 'STOP_INSTANCES', appId, instanceIds: [victim.instanceId], skipRespawn: true, opSpec: OPSPEC });
    await cluster.waitOperation(stop.operationId, 'COMPLETED');
    expect(appServers(mark)).toHaveLength(1);
    expect(await whoami(keeper.localInfo.ports.http.hostPort)).toBe(`${appId} ${keeper.instanceId}`);
    expect(await cluster.summary(appId)).toMatchObject({ state: 'RUNNING', requiredInstances: 1, healthyInstances: 1 });
  });

  it('GRACEFUL abort of a parallelism-1 SCALE lets the instance in flight become HEALTHY and starts no other', async () => {
    const mark = marker();
    const slow = httpAppSpec('real-graceful', mark, {
      readiness: { mode: { type: 'HTTP', portName: 'http', path: '/ready', verb: 'GET', successCodes: [200] }, timeout: '500 ms', interval: '100 ms', attempts: 50, initialDelay: '1500 ms' },
    });
    const { appId } = await cluster.submit(createOp(slow));
    const scale = await cluster.submit({ type: 'SCALE', appId, requiredInstances: 4, opSpec: { ...OPSPEC, parallelism: 1 } });
    await waitFor(async () => (await cluster.instances(appId)).some((i) => i.state === 'UNREADY'));
    const { body } = await cluster.api.post('/apis/v1/operations/abort', { operationIds: [scale.operationId], mode: 'GRACEFUL' });
    expect(body.data.results).toEqual([{ operationId: scale.operationId, aborted: true }]);
    await cluster.waitOperation(scale.operationId, 'CANCELLED');
    expect(await cluster.summary(appId)).toMatchObject({ state: 'RUNNING', requiredInstances: 1, healthyInstances: 1 });
    expect((await cluster.instances(appId)).map((i) => i.state)).toEqual(['HEALTHY']);
    expect(appServers(mark)).toHaveLength(1);
  });

  it('FORCE abort kills the instances in flight within seconds and leaves no process', async () => {
    const mark = marker();
    const stuck = httpAppSpec('real-force', mark, { env: { NEVER_READY: '1' } });
    const { appId } = await cluster.submit(createOp(stuck));
    const scale = await cluster.submit({ type: 'SCALE', appId, requiredInstances: 2, opSpec: { ...OPSPEC, parallelism: 2, timeout: '60s' } });
    await waitFor(() => appServers(mark).length === 2);
    await waitFor(async () => (await cluster.instances(appId)).filter((i) => i.state === 'UNREADY').length === 2);
    const at = Date.now();
    await cluster.api.post('/apis/v1/operations/abort', { operationIds: [scale.operationId], mode: 'FORCE' });
    const op = await cluster.waitOperation(scale.operationId, 'CANCELLED', 10_000);
    const took = Date.now() - at;
    expect(took).toBeLessThan(10_000); // within seconds, even on a loaded CI machine
    expect(processesWithMarker(mark)).toEqual([]);
    expect(op).toMatchObject({ abortMode: 'FORCE', result: { status: 'incomplete' } });
    expect(await cluster.summary(appId)).toMatchObject({ state: 'MONITORING', requiredInstances: 0 });
    const old = (await cluster.api.get(`/apis/v1/applications/${appId}/instances/old`)).body.data;
    expect(old.map((i: { state: string }) => i.state)).toEqual(['STOPPED', 'STOPPED']);
  });
});
