/**
 * Recovery and reconciliation against a real controller with scripted executors: executor
 * loss, reconnection, controller restart mid-operation, UNHEALTHY instances, blacklist moves,
 * maintenance mode, service discovery.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { appSpec, createOp, FAST_OPSPEC, startAppCluster, type AppCluster } from './app-test-env.ts';

let env: AppCluster | undefined;

afterEach(async () => {
  await env?.close();
  env = undefined;
  await stopAllTestProcesses();
});

function startsOf(cluster: AppCluster, appId: string) {
  return cluster.sims.flatMap((s) => s.log).filter((m) => m.type === 'startInstance' && m.appId === appId);
}

describe('executor loss', () => {
  it('an executor killed mid-operation has its instances replaced elsewhere', async () => {
    env = await startAppCluster({ executors: 2 });
    const { appId, operationId } = await env.submit(createOp(appSpec('lossy'), 4));
    await env.waitOperation(operationId, 'COMPLETED');
    const [doomed, survivor] = env.sims;
    const onDoomed = env.module.model.instances(appId).filter((i) => i.executorId === doomed.executorId).map((i) => i.instanceId);
    expect(onDoomed.length).toBeGreaterThan(0);
    for (const sim of env.sims) sim.stepMs = 50;
    const scale = await env.submit({ type: 'SCALE', appId, requiredInstances: 6, opSpec: { ...FAST_OPSPEC, parallelism: 1 } });
    await waitFor(async () => (await env!.operation(scale.operationId)).progress.inFlight === 1);
    const killedAt = Date.now();
    doomed.kill();
    await waitFor(async () => {
      const instances = await env!.instances(appId, 'HEALTHY');
      return instances.length === 6 && instances.every((i) => i.executorId === survivor.executorId);
    }, { timeoutMs: 15_000 });
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    for (const id of onDoomed) {
      const { body } = await env.api.get(`/apis/v1/applications/${appId}/instances/${id}`);
      expect(body.data).toMatchObject({ state: 'LOST', errorMessage: expect.stringMatching(/Executor sim-0 was lost/) });
    }
    await waitFor(async () => (await env!.summary(appId)).state === 'RUNNING');
    expect(await env.summary(appId)).toMatchObject({ requiredInstances: 6, healthyInstances: 6 });
    const recovers = (await env.api.get(`/apis/v1/operations?appId=${appId}&type=RECOVER`)).body.data;
    expect(recovers.length).toBeGreaterThan(0);
    expect(recovers[0]).toMatchObject({ createdBy: 'controller', opSpec: { timeout: '300 seconds', parallelism: 1, failureStrategy: 'STOP' } });
  });

  it('an executor that reconnects within the grace period is re-attached: nothing new is started', async () => {
    env = await startAppCluster({ executors: 1, config: { executorLostAfterMs: 5_000 } });
    const { appId, operationId } = await env.submit(createOp(appSpec('flaky-link'), 2));
    await env.waitOperation(operationId, 'COMPLETED');
    const [sim] = env.sims;
    const before = startsOf(env, appId).length;
    sim.disconnect();
    await waitFor(() => env!.controller.ctx?.executors.get(sim.executorId)?.connected === false);
    // Not routable while its executor is silent.
    expect((await env.api.get('/apis/v1/endpoints')).body.data.find((e: { appId: string }) => e.appId === appId).hosts).toEqual([]);
    await sim.reconnect();
    await waitFor(async () => (await env!.api.get('/apis/v1/endpoints')).body.data.find((e: { appId: string }) => e.appId === appId).hosts.length === 2);
    expect(startsOf(env, appId).length).toBe(before);
    expect(await env.summary(appId)).toMatchObject({ state: 'RUNNING', healthyInstances: 2 });
  });

  it('in maintenance mode a lost executor leaves its instances alone (no automatic recovery)', async () => {
    env = await startAppCluster({ executors: 2 });
    const { appId, operationId } = await env.submit(createOp(appSpec('maint'), 2));
    await env.waitOperation(operationId, 'COMPLETED');
    await env.api.post('/apis/v1/cluster/maintenance/set');
    const [doomed] = env.sims;
    const before = startsOf(env, appId).length;
    doomed.kill();
    await waitFor(() => env!.controller.ctx?.executors.get(doomed.executorId)?.record.lostAt !== undefined, { timeoutMs: 5_000 });
    await waitFor(async () => (await env!.api.get(`/apis/v1/operations?appId=${appId}&type=RECOVER`)).body.data.length === 0);
    expect((await env.instances(appId)).every((i) => i.state === 'HEALTHY')).toBe(true);
    expect(startsOf(env, appId).length).toBe(before);
  });
});

describe('controller restart', () => {
  it('an operation in flight when the controller restarts is resumed and nothing is lost or doubled', async () => {
    env = await startAppCluster({ executors: 2 });
    for (const sim of env.sims) sim.stepMs = 60;
    const { appId } = await env.submit(createOp(appSpec('restart'), 0));
    const scale = await env.submit({ type: 'SCALE', appId, requiredInstances: 5, opSpec: { ...FAST_OPSPEC, parallelism: 2 } });
    await waitFor(async () => (await env!.operation(scale.operationId)).progress.done >= 1);
    await env.restart();
    for (const sim of env.sims) await sim.reconnect(env.controller.url);
    const op = await env.waitOperation(scale.operationId, 'COMPLETED', 15_000);
    expect(op.messages.map((m: { message: string }) => m.message).join('\n')).toMatch(/Resumed by controller after restart \(was RUNNING\)/);
    expect(await env.summary(appId)).toMatchObject({ state: 'RUNNING', requiredInstances: 5, healthyInstances: 5 });
    expect(startsOf(env, appId)).toHaveLength(5);
    expect(env.sims.flatMap((s) => s.running())).toHaveLength(5);
  });
});

describe('health and reconciliation', () => {
  it('an instance that turns UNHEALTHY is stopped and replaced', async () => {
    env = await startAppCluster({ executors: 1 });
    const { appId, operationId } = await env.submit(createOp(appSpec('sick'), 2));
    await env.waitOperation(operationId, 'COMPLETED');
    const [sim] = env.sims;
    const [victim] = await env.instances(appId);
    sim.set(victim.instanceId, 'UNHEALTHY', 'health check failed 3 times');
    await waitFor(async () => {
      const healthy = await env!.instances(appId, 'HEALTHY');
      return healthy.length === 2 && !healthy.some((i) => i.instanceId === victim.instanceId);
    });
    expect(sim.log.some((m) => m.type === 'stopInstance' && m.instanceId === victim.instanceId)).toBe(true);
    expect((await env.api.get(`/apis/v1/applications/${appId}/instances/${victim.instanceId}`)).body.data.state).toBe('STOPPED');
  });

  it('an instance that dies on its own is replaced by the periodic check', async () => {
    env = await startAppCluster({ executors: 1 });
    const { appId, operationId } = await env.submit(createOp(appSpec('crashy'), 1));
    await env.waitOperation(operationId, 'COMPLETED');
    const [victim] = await env.instances(appId);
    env.sims[0].set(victim.instanceId, 'STOPPED', 'exited with code 1');
    await waitFor(async () => (await env!.instances(appId, 'HEALTHY')).some((i) => i.instanceId !== victim.instanceId));
  });

  it('an app whose starts keep failing stays SCALING_REQUESTED and is retried with backoff', async () => {
    env = await startAppCluster({ executors: 1, module: { recoverBackoffMs: 300 } });
    env.sims[0].outcome = () => 'fail';
    const { appId, operationId } = await env.submit(createOp(appSpec('doomed'), 1));
    const op = await env.waitOperation(operationId, 'FAILED');
    expect(op.result).toMatchObject({ status: 'failure', details: { errorCount: 1 } });
    expect(op.result.details.messageList[0].message).toMatch(/START_FAILED \(simulated start failure\)/);
    // Still recovering: each RECOVER retry passes through OUTAGE_DETECTED on its way to
    // SCALING_REQUESTED (two state changes, as Drove reports them), so either may be seen here.
    expect(['SCALING_REQUESTED', 'OUTAGE_DETECTED']).toContain((await env.summary(appId)).state);
    await waitFor(async () => (await env!.api.get(`/apis/v1/operations?appId=${appId}&type=RECOVER&state=FINISHED`)).body.data.length >= 2, { timeoutMs: 5_000 });
    env.sims[0].outcome = () => 'healthy';
    await waitFor(async () => (await env!.summary(appId)).state === 'RUNNING', { timeoutMs: 10_000 });
  });
});

describe('blacklisting and endpoints', () => {
  it('blacklisting moves HEALTHY instances elsewhere, then the executor is BLACKLISTED', async () => {
    env = await startAppCluster({ executors: 2 });
    const { appId, operationId } = await env.submit(createOp(appSpec('movable'), 4));
    await env.waitOperation(operationId, 'COMPLETED');
    const [leaving, staying] = env.sims;
    const moved = env.module.model.instances(appId).filter((i) => i.executorId === leaving.executorId).map((i) => i.instanceId);
    expect(moved.length).toBeGreaterThan(0);
    const { body } = await env.api.post(`/apis/v1/cluster/executors/${leaving.executorId}/blacklist`);
    expect(body.data.successful).toEqual([leaving.executorId]);
    await waitFor(async () => {
      const healthy = await env!.instances(appId, 'HEALTHY');
      return healthy.length === 4 && healthy.every((i) => i.executorId === staying.executorId);
    });
    await waitFor(() => leaving.running().length === 0);
    const moves = (await env.api.get(`/apis/v1/operations?appId=${appId}&type=BLACKLIST_MOVE`)).body.data;
    await env.waitOperation(moves[0].operationId, 'COMPLETED');
    expect(env.controller.ctx?.executors.get(leaving.executorId)?.record.executorState).toBe('BLACKLISTED');
    // docs/api.md §4.6: replace first, then BLACKLISTED — the state changes only once the move has finished.
    const move = (await env.api.get(`/apis/v1/operations/${moves[0].operationId}`)).body.data;
    const events = (await env.api.get('/apis/v1/cluster/events')).body.data as { type: string; time: number }[];
    const requested = events.find((e) => e.type === 'EXECUTOR_BLACKLIST_REQUESTED');
    const blacklisted = events.find((e) => e.type === 'EXECUTOR_BLACKLISTED');
    expect(requested && blacklisted).toBeTruthy();
    expect(blacklisted!.time).toBeGreaterThanOrEqual(move.finished);
    expect((await env.summary(appId)).state).toBe('RUNNING');
  });

  it('serves exposed apps with their HEALTHY hosts, sorted by appId and filtered by name', async () => {
    env = await startAppCluster({ executors: 1 });
    const b = await env.submit(createOp(appSpec('bravo'), 2));
    const a = await env.submit(createOp(appSpec('alpha'), 1));
    const hidden = await env.submit(createOp(appSpec('hidden', { exposureSpec: undefined }), 1));
    for (const op of [a, b, hidden]) await env.waitOperation(op.operationId, 'COMPLETED');
    const all = (await env.api.get('/apis/v1/endpoints')).body.data;
    expect(all.map((e: { appId: string }) => e.appId)).toEqual(['alpha-1', 'bravo-1']);
    const bravo = all[1];
    expect(bravo).toEqual({ appName: 'bravo', appId: 'bravo-1', vhost: 'bravo.test', tags: { team: 'corral' }, hosts: expect.any(Array) });
    const instances = await env.instances('bravo-1');
    expect(bravo.hosts).toEqual(instances.map((i) => ({ host: 'sim-0', port: i.localInfo.ports.http.hostPort, portType: 'HTTP' })));
    expect((await env.api.get('/apis/v1/endpoints?app=alpha')).body.data.map((e: { appId: string }) => e.appId)).toEqual(['alpha-1']);
    expect((await env.api.get('/apis/v1/endpoints/app/bravo')).body.data).toHaveLength(1);
    expect((await env.api.get('/apis/v1/endpoints/app/nobody')).body).toEqual({ status: 'SUCCESS', data: [], message: 'success' });
    const suspend = await env.submit({ type: 'SUSPEND', appId: 'alpha-1', opSpec: FAST_OPSPEC });
    await env.waitOperation(suspend.operationId, 'COMPLETED');
    expect((await env.api.get('/apis/v1/endpoints')).body.data.map((e: { appId: string }) => e.appId)).toEqual(['bravo-1']);
  });

  it('prunes old instance records and finished operations past their retention', async () => {
    env = await startAppCluster({ executors: 1, config: { instanceRetentionMs: 0, operationRetentionMs: 0, maxOldInstancesPerApp: 0 } });
    const { appId, operationId } = await env.submit(createOp(appSpec('pruned'), 2));
    await env.waitOperation(operationId, 'COMPLETED');
    const suspend = await env.submit({ type: 'SUSPEND', appId, opSpec: FAST_OPSPEC });
    await env.waitOperation(suspend.operationId, 'COMPLETED');
    expect((await env.api.get(`/apis/v1/applications/${appId}/instances/old`)).body.data).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const swept = await env.module.retention.sweep();
    expect(swept.instances).toBe(2);
    // Finished operations (of every kind) are swept by the operations module.
    expect(await env.controller.running!.operations.sweep()).toBeGreaterThanOrEqual(2);
    expect((await env.api.get(`/apis/v1/applications/${appId}/instances/old`)).body.data).toEqual([]);
    expect((await env.api.get(`/apis/v1/operations?appId=${appId}`)).body.data).toEqual([]);
  });
});
