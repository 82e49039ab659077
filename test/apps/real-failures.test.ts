/**
 * Failures with real processes: an executor SIGKILLed in the middle of an operation, and a
 * controller SIGKILLed in the middle of one. Nothing acknowledged may be lost or doubled.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createOp } from './app-test-env.ts';
import { appServers, httpAppSpec, killMarked, startRealCluster } from './real-cluster.ts';

const markers: string[] = [];

afterEach(async () => {
  await stopAllTestProcesses();
  for (const m of markers.splice(0)) killMarked(m);
});

function slowReadiness(name: string, mark: string, delay = '700 ms') {
  return httpAppSpec(name, mark, {
    readiness: { mode: { type: 'HTTP', portName: 'http', path: '/ready', verb: 'GET', successCodes: [200] }, timeout: '500 ms', interval: '100 ms', attempts: 50, initialDelay: delay },
  });
}

describe('failures with real processes', () => {
  it('an executor killed mid-operation: its instances are LOST and replaced HEALTHY elsewhere', async () => {
    const cluster = await startRealCluster({ executors: 2, config: { executorLostAfterMs: 3_000 } });
    const mark = randomUUID();
    markers.push(mark);
    const { appId, operationId } = await cluster.submit(createOp(httpAppSpec('real-loss', mark), 4));
    await cluster.waitOperation(operationId, 'COMPLETED');
    const [doomed, survivor] = cluster.executors;
    const lost = (await cluster.instances(appId)).filter((i) => i.executorId === doomed.executorId).map((i) => i.instanceId);
    expect(lost.length).toBeGreaterThan(0);
    const scale = await cluster.submit({ type: 'SCALE', appId, requiredInstances: 6, opSpec: { timeout: '30s', parallelism: 1, failureStrategy: 'STOP' } });
    await waitFor(async () => (await cluster.operation(scale.operationId)).progress.inFlight === 1);
    const killedAt = Date.now();
    await doomed.kill('SIGKILL');
    await waitFor(async () => {
      const healthy = await cluster.instances(appId, 'HEALTHY');
      return healthy.length === 6 && healthy.every((i) => i.executorId === survivor.executorId);
    }, { timeoutMs: 30_000, intervalMs: 100 });
    // The 15 s target (docs/targets.md) is measured on an idle machine; here the bound only catches a hang.
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    for (const id of lost) {
      expect((await cluster.api.get(`/apis/v1/applications/${appId}/instances/${id}`)).body.data.state).toBe('LOST');
    }
    await waitFor(async () => (await cluster.summary(appId)).state === 'RUNNING');
    expect(await cluster.summary(appId)).toMatchObject({ requiredInstances: 6, healthyInstances: 6 });
  });

  it('a controller killed mid-operation resumes it after restart: nothing lost, nothing doubled', async () => {
    // A generous lost grace: the executors must re-attach, not be declared lost, while the
    // controller restarts on a loaded CI machine.
    const cluster = await startRealCluster({ executors: 2, mode: 'child', config: { executorLostAfterMs: 20_000 } });
    const mark = randomUUID();
    markers.push(mark);
    const { appId } = await cluster.submit(createOp(slowReadiness('real-restart', mark)));
    const scale = await cluster.submit({ type: 'SCALE', appId, requiredInstances: 4, opSpec: { timeout: '30s', parallelism: 1, failureStrategy: 'STOP' } });
    await waitFor(async () => (await cluster.operation(scale.operationId)).progress.done >= 1, { timeoutMs: 20_000 });
    await cluster.controller.kill('SIGKILL');
    cluster.setController(await cluster.controller.restart());
    const op = await cluster.waitOperation(scale.operationId, 'COMPLETED', 40_000);
    expect(op.messages.map((m: { message: string }) => m.message).join('\n')).toMatch(/Resumed by controller after restart/);
    expect(await cluster.summary(appId)).toMatchObject({ state: 'RUNNING', requiredInstances: 4, healthyInstances: 4 });
    expect(appServers(mark)).toHaveLength(4);
    const all = [...await cluster.instances(appId), ...(await cluster.api.get(`/apis/v1/applications/${appId}/instances/old`)).body.data];
    expect(all.filter((i: { state: string }) => i.state === 'HEALTHY')).toHaveLength(4);
  }, 120_000); // restarts a child controller and waits on real processes: slow on a loaded machine
});
