/**
 * Cancel (Drove) and abort (corral, docs/sources.md#contrail) of application operations, against a real
 * controller with scripted executors (test/apps/sim-executor.ts) that can hold an instance
 * in flight for as long as the test needs.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { appSpec, createOp, FAST_OPSPEC, startAppCluster, type AppCluster } from '../apps/app-test-env.ts';

let env: AppCluster;
let counter = 0;

beforeAll(async () => {
  env = await startAppCluster({ executors: 2 });
});
beforeEach(() => {
  for (const sim of env.sims) {
    sim.stepMs = 5;
    sim.outcome = () => 'healthy';
  }
});
afterAll(async () => {
  await env?.close();
  await stopAllTestProcesses();
});

async function newApp(instances = 0): Promise<string> {
  const { appId, operationId } = await env.submit(createOp(appSpec(`abort-${++counter}`), instances));
  await env.waitOperation(operationId, 'COMPLETED');
  return appId;
}

function starts(appId: string) {
  return env.sims.flatMap((s) => s.log).filter((m) => m.type === 'startInstance' && m.appId === appId);
}

function runningOnSims(appId: string): string[] {
  return env.sims.flatMap((s) => [...s.instances.values()].filter((i) => i.report.appId === appId && i.report.state !== 'STOPPED').map((i) => i.report.instanceId));
}

async function abort(body: unknown) {
  const { status, body: reply } = await env.api.post('/apis/v1/operations/abort', body);
  return { status, reply };
}

describe('Drove cancel', () => {
  it('cancels a scale mid-way: the step in flight finishes, the app settles with expected = healthy', async () => {
    const appId = await newApp();
    for (const sim of env.sims) sim.stepMs = 40;
    const { operationId } = await env.submit({ type: 'SCALE', appId, requiredInstances: 6, opSpec: { ...FAST_OPSPEC, parallelism: 1 } });
    await waitFor(async () => {
      const op = await env.operation(operationId);
      return op.progress.done >= 1 && op.progress.inFlight === 1;
    });
    const cancel = await env.api.post(`/apis/v1/operations/${appId}/cancel`, '', { headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(cancel.text).toBe('{"status":"SUCCESS","message":"success"}');
    const op = await env.waitOperation(operationId, 'CANCELLED');
    expect(op).toMatchObject({ abortedBy: 'admin', abortMode: 'GRACEFUL', abortedAt: expect.any(Number) });
    const summary = await env.summary(appId);
    expect(summary.state).toBe('RUNNING');
    expect(summary.requiredInstances).toBe(summary.healthyInstances);
    expect(summary.healthyInstances).toBe(starts(appId).length);
    expect(summary.healthyInstances).toBeLessThan(6);
    expect((await env.instances(appId)).every((i) => i.state === 'HEALTHY')).toBe(true);
    const again = await env.api.post(`/apis/v1/applications/operations/${appId}/cancel`);
    expect({ status: again.status, body: again.body }).toEqual({ status: 400, body: { status: 'FAILED', message: 'Current operation could not be cancelled' } });
  });
});

describe('abort API', () => {
  it('GRACEFUL abort of a SCALE with parallelism 1 lets the instance in flight become HEALTHY and starts no other', async () => {
    const appId = await newApp();
    for (const sim of env.sims) sim.outcome = () => 'hang';
    const { operationId } = await env.submit({ type: 'SCALE', appId, requiredInstances: 5, opSpec: { ...FAST_OPSPEC, parallelism: 1, timeout: '30s' } });
    await waitFor(() => starts(appId).length === 1 && env.module.model.instances(appId)[0]?.state === 'UNREADY');
    const { status, reply } = await abort({ operationIds: [operationId], mode: 'graceful' });
    expect(status).toBe(200);
    expect(reply).toEqual({ status: 'SUCCESS', data: { results: [{ operationId, aborted: true }] }, message: 'success' });
    expect((await env.operation(operationId)).state).toBe('CANCELLING');
    const [inFlight] = starts(appId);
    env.sims.find((s) => s.instances.has(inFlight.instanceId))!.set(inFlight.instanceId, 'HEALTHY');
    await env.waitOperation(operationId, 'CANCELLED');
    expect(starts(appId)).toHaveLength(1);
    expect(await env.summary(appId)).toMatchObject({ state: 'RUNNING', requiredInstances: 1, healthyInstances: 1 });
  });

  it('FORCE abort kills the instance in flight at once, releases its resources and leaves nothing running', async () => {
    const appId = await newApp();
    const freeBefore = (await env.api.get('/apis/v1/cluster')).body.data.freeCores;
    for (const sim of env.sims) sim.outcome = () => 'hang';
    const { operationId } = await env.submit({ type: 'SCALE', appId, requiredInstances: 3, opSpec: { ...FAST_OPSPEC, parallelism: 3, timeout: '60s' } });
    await waitFor(() => runningOnSims(appId).length === 3);
    const started = Date.now();
    expect((await abort({ operationIds: [operationId], mode: 'FORCE' })).reply.data.results).toEqual([{ operationId, aborted: true }]);
    const op = await env.waitOperation(operationId, 'CANCELLED');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(op).toMatchObject({ abortMode: 'FORCE', result: { status: 'incomplete' } });
    expect(runningOnSims(appId)).toEqual([]);
    const stops = env.sims.flatMap((s) => s.log).filter((m) => m.type === 'stopInstance' && starts(appId).some((s) => s.instanceId === m.instanceId));
    expect(stops.map((m) => m.type === 'stopInstance' && m.mode)).toEqual(['FORCE', 'FORCE', 'FORCE']);
    expect(await env.summary(appId)).toMatchObject({ state: 'MONITORING', requiredInstances: 0, healthyInstances: 0 });
    expect((await env.api.get('/apis/v1/cluster')).body.data.freeCores).toBe(freeBefore);
  });

  it('an empty list aborts every active operation', async () => {
    const a = await newApp();
    const b = await newApp();
    for (const sim of env.sims) sim.outcome = () => 'hang';
    const opA = await env.submit({ type: 'SCALE', appId: a, requiredInstances: 2, opSpec: { ...FAST_OPSPEC, timeout: '60s' } });
    const opB = await env.submit({ type: 'START_INSTANCES', appId: b, instances: 1, opSpec: { ...FAST_OPSPEC, timeout: '60s' } });
    const active = await env.api.get('/apis/v1/operations?state=ACTIVE');
    expect(active.body.data.map((o: { operationId: string }) => o.operationId)).toEqual(expect.arrayContaining([opA.operationId, opB.operationId]));
    const { reply } = await abort({ mode: 'FORCE' });
    expect(reply.data.results).toEqual(expect.arrayContaining([
      { operationId: opA.operationId, aborted: true }, { operationId: opB.operationId, aborted: true },
    ]));
    await env.waitOperation(opA.operationId, 'CANCELLED');
    await env.waitOperation(opB.operationId, 'CANCELLED');
    expect((await env.api.get('/apis/v1/operations?state=ACTIVE')).body.data).toEqual([]);
  });

  it('a GRACEFUL abort with a deadline becomes FORCE when the deadline passes', async () => {
    const appId = await newApp();
    for (const sim of env.sims) sim.outcome = () => 'hang';
    const { operationId } = await env.submit({ type: 'SCALE', appId, requiredInstances: 1, opSpec: { ...FAST_OPSPEC, timeout: '60s' } });
    await waitFor(() => runningOnSims(appId).length === 1);
    const at = Date.now();
    await abort({ operationIds: [operationId], mode: 'GRACEFUL', deadline: '300 ms' });
    const op = await env.waitOperation(operationId, 'CANCELLED');
    expect(Date.now() - at).toBeGreaterThanOrEqual(280);
    expect(op.abortDeadline).toBeGreaterThan(op.abortedAt);
    expect(op.messages.map((m: { message: string }) => m.message)).toContain('Graceful abort deadline passed; forcing');
    expect(runningOnSims(appId)).toEqual([]);
  });

  it('bad input: unknown mode, bad deadline, unknown, finished and twice-aborted ids', async () => {
    const mode = await abort({ mode: 'SOMETIMES' });
    expect(mode.status).toBe(400);
    const deadline = await abort({ mode: 'GRACEFUL', deadline: 'soon' });
    expect(deadline.status).toBe(400);
    expect(deadline.reply.message).toBe('JSON validation failure');
    const ids = await abort({ operationIds: 'OP-1' });
    expect(ids.status).toBe(400);

    const appId = await newApp();
    const finished = (await env.api.get(`/apis/v1/operations?appId=${appId}&state=FINISHED`)).body.data[0].operationId;
    for (const sim of env.sims) sim.outcome = () => 'hang';
    const { operationId } = await env.submit({ type: 'SCALE', appId, requiredInstances: 1, opSpec: { ...FAST_OPSPEC, timeout: '60s' } });
    // Its one start in flight (hanging UNREADY), so a GRACEFUL abort waits for it and FORCE can still escalate.
    await waitFor(() => starts(appId).length === 1 && env.module.model.instances(appId)[0]?.state === 'UNREADY');
    const { reply } = await abort({ operationIds: ['OP-unknown', finished, operationId], mode: 'GRACEFUL' });
    expect(reply.data.results).toEqual([
      { operationId: 'OP-unknown', aborted: false, reason: 'No operation found with id OP-unknown' },
      { operationId: finished, aborted: false, reason: `Operation ${finished} has already finished (COMPLETED)` },
      { operationId, aborted: true },
    ]);
    const twice = await abort({ operationIds: [operationId], mode: 'GRACEFUL' });
    expect(twice.reply.data.results).toEqual([{ operationId, aborted: false, reason: expect.stringMatching(/already being cancelled \(GRACEFUL by admin\)/) }]);
    const escalate = await abort({ operationIds: [operationId], mode: 'FORCE' });
    expect(escalate.reply.data.results).toEqual([{ operationId, aborted: true }]);
    await env.waitOperation(operationId, 'CANCELLED');
  });

  it('lists operations newest first with filters and paging, and reads one', async () => {
    const appId = await newApp(1);
    const scale = await env.submit({ type: 'SCALE', appId, requiredInstances: 2, opSpec: FAST_OPSPEC });
    await env.waitOperation(scale.operationId, 'COMPLETED');
    const list = (await env.api.get(`/apis/v1/operations?appId=${appId}`)).body.data;
    expect(list.map((o: { type: string }) => o.type)).toEqual(['SCALE', 'CREATE']);
    expect((await env.api.get(`/apis/v1/operations?appId=${appId}&type=CREATE`)).body.data).toHaveLength(1);
    expect((await env.api.get(`/apis/v1/operations?appId=${appId}&from=1&size=1`)).body.data.map((o: { type: string }) => o.type)).toEqual(['CREATE']);
    expect((await env.api.get('/apis/v1/operations?state=active')).status).toBe(400);
    const one = (await env.api.get(`/apis/v1/operations/${scale.operationId}`)).body.data;
    expect(one).toMatchObject({
      operationId: scale.operationId, type: 'SCALE', state: 'COMPLETED', createdBy: 'admin', appId,
      progress: { total: 1, done: 1, failed: 0, inFlight: 0 },
      result: { kind: 'Status', apiVersion: 'v1', status: 'success', details: { errorCount: 0, messageList: [expect.objectContaining({ contextType: 'instance' })] } },
    });
    expect(one.checkpoint).toBeUndefined();
    expect((await env.api.get('/apis/v1/operations/OP-nope')).body).toEqual({ status: 'FAILED', message: 'No operation found with id OP-nope' });
  });

  it('an abort acknowledged just before a controller restart is carried out after it', async () => {
    const appId = await newApp();
    for (const sim of env.sims) sim.outcome = () => 'hang';
    const { operationId } = await env.submit({ type: 'SCALE', appId, requiredInstances: 3, opSpec: { ...FAST_OPSPEC, parallelism: 1, timeout: '60s' } });
    await waitFor(() => runningOnSims(appId).length === 1);
    expect((await abort({ operationIds: [operationId], mode: 'GRACEFUL' })).reply.data.results[0].aborted).toBe(true);
    await env.restart();
    for (const sim of env.sims) await sim.reconnect(env.controller.url);
    expect((await env.operation(operationId)).state).toBe('CANCELLING');
    const [inFlight] = runningOnSims(appId);
    env.sims.find((s) => s.instances.has(inFlight))!.set(inFlight, 'HEALTHY');
    const op = await env.waitOperation(operationId, 'CANCELLED');
    expect(op.messages.map((m: { message: string }) => m.message).join('\n')).toMatch(/Resumed by controller after restart \(was CANCELLING\)/);
    expect(starts(appId)).toHaveLength(1);
    expect(await env.summary(appId)).toMatchObject({ state: 'RUNNING', requiredInstances: 1, healthyInstances: 1 });
  });
});

describe('step timeouts and failureStrategy', () => {
  it('a start that does not become healthy in time fails the operation TIMED_OUT and is stopped', async () => {
    const appId = await newApp();
    for (const sim of env.sims) sim.outcome = () => 'hang';
    const { operationId } = await env.submit({ type: 'SCALE', appId, requiredInstances: 1, opSpec: { timeout: '600 ms', parallelism: 1, failureStrategy: 'STOP' } });
    const op = await env.waitOperation(operationId, 'TIMED_OUT');
    expect(op.result.details.messageList[0].message).toMatch(/did not reach its target state within/);
    const [started] = starts(appId);
    expect(env.sims.flatMap((s) => s.log).some((m) => m.type === 'stopInstance' && m.instanceId === started.instanceId)).toBe(true);
    // The target stays: the app waits in SCALING_REQUESTED for the controller's retries.
    // (A RECOVER retry passes through OUTAGE_DETECTED on its way to SCALING_REQUESTED, as Drove reports it.)
    expect(['SCALING_REQUESTED', 'OUTAGE_DETECTED']).toContain((await env.summary(appId)).state);
    await abort({ mode: 'FORCE' });
  });

  it('failureStrategy STOP starts nothing after a failed step', async () => {
    const appId = await newApp();
    for (const sim of env.sims) sim.outcome = () => 'fail';
    const { operationId } = await env.submit({ type: 'SCALE', appId, requiredInstances: 5, opSpec: { ...FAST_OPSPEC, parallelism: 1 } });
    const op = await env.waitOperation(operationId, 'FAILED');
    expect(op.progress).toMatchObject({ total: 5, failed: 1, done: 0 });
    expect(op.messages.filter((m: { message: string }) => m.message.startsWith('Starting ')).length).toBe(1);
    await abort({ mode: 'FORCE' });
  });
});
