/**
 * Local-service operations are operation records like the others (real controller, real
 * executors, real processes): listed, cancelled the Drove way (a cancelled adjustment
 * deactivates the service), aborted gracefully and by force, and resumed after the controller
 * is killed mid-operation, with nothing doubled or left running.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { agents, agentSpec, killMarked, startLocalServiceCluster, waitPerHost, type LocalServiceCluster } from './local-service-cluster.ts';

const markers: string[] = [];
const mark = () => {
  const m = randomUUID();
  markers.push(m);
  return m;
};
afterAll(async () => {
  await stopAllTestProcesses();
  for (const m of markers) killMarked(m);
});

/** Each instance takes about `seconds` to become ready, so an operation of several is slow enough to interrupt. */
function slowSpec(name: string, marker: string, seconds: number, path = '/ready') {
  return agentSpec(name, marker, {
    readiness: { mode: { type: 'HTTP', portName: 'metrics', path, verb: 'GET', successCodes: [200] }, timeout: '500 ms', interval: '200 ms', attempts: 100, initialDelay: `${seconds} seconds` },
  });
}


describe('local-service operations as jobs (in-process controller)', () => {
  let cluster: LocalServiceCluster;
  const ids = () => cluster.executors.map((e) => e.executorId);

  it('starts a cluster of three executors', async () => {
    cluster = await startLocalServiceCluster({ executors: 3 });
  }, 60_000);

  it("Drove's cancel of an adjustment deactivates the service (emergency deactivation); nothing is left running", async () => {
    const marker = mark();
    const { serviceId } = await cluster.submit({ type: 'CREATE', spec: slowSpec('halted', marker, 2), instancesPerHost: 2 });
    const activate = await cluster.submit({ type: 'ACTIVATE', serviceId });
    await waitFor(async () => (await cluster.summary(serviceId)).state === 'ADJUSTING_INSTANCES', { timeoutMs: 10_000, message: 'ADJUSTING_INSTANCES' });
    // An operation already runs: a second one is refused, not dropped.
    const refused = await cluster.post({ type: 'DEACTIVATE', serviceId });
    expect(refused).toMatchObject({ status: 400, body: { status: 'FAILED', message: 'Command validation failure' } });
    expect(refused.body.data.validationErrors).toEqual([`No operations allowed for ${serviceId} as it is in ADJUSTING_INSTANCES state`]);

    const cancel = await cluster.api.post(`/apis/v1/localservices/operations/${serviceId}/cancel`);
    expect(cancel.body).toEqual({ status: 'SUCCESS', message: 'success' });
    const op = await cluster.waitOperation(activate.operationId, 'CANCELLED');
    expect(op.result.message).toMatch(/emergency deactivation/);
    await waitFor(async () => (await cluster.summary(serviceId))?.state === 'INACTIVE', { timeoutMs: 30_000, message: 'INACTIVE after emergency deactivation' });
    expect(await cluster.summary(serviceId)).toMatchObject({ activationState: 'INACTIVE', healthyInstances: 0 });
    await waitFor(() => agents(marker).length === 0, { timeoutMs: 20_000, message: 'nothing left running' });
    const deactivations = (await cluster.api.get('/apis/v1/operations?type=DEACTIVATE')).body.data
      .filter((o: { serviceId?: string }) => o.serviceId === serviceId);
    expect(deactivations).toHaveLength(1);
    expect(deactivations[0]).toMatchObject({ createdBy: 'controller', target: { kind: 'localservice', serviceId } });
    // Nothing to cancel now.
    const again = await cluster.api.post(`/apis/v1/localservices/operations/${serviceId}/cancel`);
    expect(again).toMatchObject({ status: 400, body: { status: 'FAILED', message: 'Current operation could not be cancelled' } });
    await cluster.submit({ type: 'DESTROY', serviceId });
  }, 120_000);

  it('a graceful abort lets the start in flight finish and starts nothing new', async () => {
    const marker = mark();
    const { serviceId } = await cluster.submit({ type: 'CREATE', spec: slowSpec('graceful', marker, 2), instancesPerHost: 2 });
    const activate = await cluster.submit({ type: 'ACTIVATE', serviceId });
    await waitFor(() => agents(marker).length === 1, { timeoutMs: 15_000, message: 'first instance starting' });
    const abort = await cluster.api.post('/apis/v1/operations/abort', { operationIds: [activate.operationId], mode: 'GRACEFUL' });
    expect(abort.body.data.results).toEqual([{ operationId: activate.operationId, aborted: true }]);
    const op = await cluster.waitOperation(activate.operationId, 'CANCELLED');
    expect(op.abortMode).toBe('GRACEFUL');
    expect(op.progress.done).toBeGreaterThanOrEqual(1);
    expect(op.progress.done).toBeLessThan(6);
    await waitFor(async () => (await cluster.summary(serviceId))?.state === 'INACTIVE', { timeoutMs: 30_000, message: 'INACTIVE' });
    await waitFor(() => agents(marker).length === 0, { timeoutMs: 20_000, message: 'nothing left running' });
    await cluster.submit({ type: 'DESTROY', serviceId });
  }, 120_000);

  it('a forced abort kills the starts in flight at once', async () => {
    const marker = mark();
    // Readiness never passes: every start hangs until it is killed.
    const { serviceId } = await cluster.submit({ type: 'CREATE', spec: slowSpec('forced', marker, 0, '/never'), instancesPerHost: 1 });
    const activate = await cluster.submit({ type: 'ACTIVATE', serviceId });
    // The default op spec starts one at a time (parallelism 1, as Drove's).
    await waitFor(() => agents(marker).length === 1, { timeoutMs: 15_000, message: 'a hanging start' });
    const abortedAt = Date.now();
    const abort = await cluster.api.post('/apis/v1/operations/abort', { operationIds: [activate.operationId], mode: 'FORCE' });
    expect(abort.body.data.results[0].aborted).toBe(true);
    const op = await cluster.waitOperation(activate.operationId, 'CANCELLED', 20_000);
    expect(Date.now() - abortedAt).toBeLessThan(15_000);
    expect(op.abortMode).toBe('FORCE');
    expect(agents(marker)).toEqual([]);
    await waitFor(async () => (await cluster.summary(serviceId))?.state === 'INACTIVE', { timeoutMs: 30_000, message: 'INACTIVE' });
    await cluster.submit({ type: 'DESTROY', serviceId });
  }, 120_000);

  it('ADJUST_INSTANCES may be given an opSpec; every operation of a service is listed with its serviceId', async () => {
    const marker = mark();
    const { serviceId } = await cluster.submit({ type: 'CREATE', spec: agentSpec('listed', marker), instancesPerHost: 1 });
    const adjust = await cluster.submit({ type: 'ADJUST_INSTANCES', serviceId, opSpec: { timeout: '20 seconds', parallelism: 2, failureStrategy: 'STOP' } });
    const adjusted = await cluster.waitOperation(adjust.operationId, 'COMPLETED');
    expect(adjusted.messages.map((m: { message: string }) => m.message).join('\n')).toMatch(/Nothing to do/);
    await cluster.waitOperation((await cluster.submit({ type: 'ACTIVATE', serviceId })).operationId, 'COMPLETED');
    await waitPerHost(cluster, serviceId, ids(), 1);
    const list = (await cluster.api.get('/apis/v1/operations?size=1000')).body.data.filter((o: { serviceId?: string }) => o.serviceId === serviceId);
    expect(list.map((o: { type: string }) => o.type).sort()).toEqual(['ACTIVATE', 'ADJUST_INSTANCES', 'CREATE']);
    await cluster.waitOperation((await cluster.submit({ type: 'DEACTIVATE', serviceId })).operationId, 'COMPLETED');
    await cluster.submit({ type: 'DESTROY', serviceId });
    await waitFor(() => agents(marker).length === 0, { timeoutMs: 20_000 });
  }, 120_000);

  it('stops its controller', async () => {
    await cluster.controller.stop();
  });
});

describe('controller killed mid-operation', () => {
  it('the operation is resumed: every executor ends with exactly instancesPerHost instances, none doubled', async () => {
    // A restart on a loaded machine can take many seconds: the executors' grace must outlast it.
    const cluster = await startLocalServiceCluster({ executors: 3, mode: 'child', config: { executorLostAfterMs: 30_000 } });
    const ids = cluster.executors.map((e) => e.executorId);
    const marker = mark();
    const { serviceId } = await cluster.submit({ type: 'CREATE', spec: slowSpec('resumed', marker, 2), instancesPerHost: 1 });
    const activate = await cluster.submit({ type: 'ACTIVATE', serviceId });
    await waitFor(async () => (await cluster.operation(activate.operationId)).progress?.done >= 1, { timeoutMs: 30_000, message: 'one step done' });
    await cluster.controller.kill();
    cluster.setController(await cluster.controller.restart());
    const op = await cluster.waitOperation(activate.operationId, 'COMPLETED', 60_000);
    expect(op.messages.map((m: { message: string }) => m.message).join('\n')).toMatch(/Resumed by controller after restart/);
    await waitPerHost(cluster, serviceId, ids, 1, 60_000);
    await waitFor(() => agents(marker).length === 3, { timeoutMs: 20_000, message: `three agents (now ${agents(marker).length})` });
    expect(await cluster.summary(serviceId)).toMatchObject({ state: 'ACTIVE', healthyInstances: 3 });
    await cluster.controller.stop();
  }, 180_000);
});

describe('controller restarted between recording an instance and sending its start', () => {
  it('the resumed step starts another instead of failing the operation, and nothing is doubled', async () => {
    const cluster = await startLocalServiceCluster({ executors: 2, config: { executorLostAfterMs: 30_000 } });
    const [first, second] = cluster.executors.map((e) => e.executorId);
    const marker = mark();
    const { serviceId } = await cluster.submit({ type: 'CREATE', spec: agentSpec('unsent', marker), instancesPerHost: 1 });
    // The start for the second executor is lost with the controller: recorded (PENDING, in the
    // step's checkpoint) but never on the wire. The real registry's send is wrapped to drop it.
    const registry = cluster.controller.ctx!.executors;
    const send = registry.send.bind(registry);
    registry.send = (executorId, message) => (message.type === 'startInstance' && executorId === second ? true : send(executorId, message));
    const activate = await cluster.submit({ type: 'ACTIVATE', serviceId });
    await waitFor(async () => (await cluster.instances(serviceId, 'PENDING')).some((i) => i.executorId === second), { timeoutMs: 30_000, message: 'the unsent instance recorded' });
    const unsent = (await cluster.instances(serviceId, 'PENDING')).find((i) => i.executorId === second)!;
    cluster.setController(await cluster.controller.restart());

    const op = await cluster.waitOperation(activate.operationId, 'COMPLETED', 60_000);
    const messages = op.messages.map((m: { message: string }) => m.message).join('\n');
    expect(messages).toMatch(/Resumed by controller after restart/);
    expect(messages).toContain(`${unsent.instanceId} was recorded before the controller restarted but never reached its executor; starting another`);
    await waitPerHost(cluster, serviceId, [first, second], 1, 60_000);
    await waitFor(() => agents(marker).length === 2, { timeoutMs: 20_000, message: `two agents (now ${agents(marker).length})` });
    expect((await cluster.instances(serviceId)).find((i) => i.instanceId === unsent.instanceId)?.state ?? 'LOST').toBe('LOST');
    await cluster.controller.stop();
  }, 180_000);
});
