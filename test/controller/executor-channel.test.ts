/**
 * The executor control channel and registry against a real controller, with scripted
 * executors (real WebSocket clients) for the situations a real executor does not produce:
 * wrong secrets, malformed frames, duplicate connections, silence, exact replies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_REFUSED, CLOSE_REPLACED, type InstanceReport, type RequestMessage, type TaskReport } from '../../src/api/channel-protocol.ts';
import { createLogger } from '../../src/common/logger.ts';
import { ExecutorNotConnectedError, ExecutorRequestError, ExecutorRequestTimeoutError } from '../../src/controller/executors/channel-requests.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { captureLogLines } from '../helpers/log-capture.ts';
import { connectFakeExecutor, fakeIdentity } from '../helpers/fake-executor.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { waitFor } from '../helpers/wait-for.ts';

const LOST_AFTER_MS = 1_000;
const REMOVED_AFTER_MS = 2_000;

function taskReport(instanceId: string, state: TaskReport['state'] = 'RUNNING'): TaskReport {
  return { instanceId, sourceAppName: 'app', taskId: `t-${instanceId}`, state, errorMessage: '', events: [], updated: Date.now() };
}

function instanceReport(instanceId: string, state: InstanceReport['state'] = 'HEALTHY'): InstanceReport {
  return { instanceId, appId: 'app-1', appName: 'app', state, errorMessage: '', events: [], updated: Date.now() };
}

describe('executor channel', () => {
  let controller: TestController;
  let secret: string;
  const logs = captureLogLines();
  const logLines = logs.lines;

  beforeAll(async () => {
    controller = await startTestController({
      modules: [],
      config: { executorLostAfterMs: LOST_AFTER_MS, executorRemovedAfterMs: REMOVED_AFTER_MS, snapshotIntervalMs: 1_234 },
      logger: createLogger('test', { level: 'warn', destination: logs.destination }),
    });
    secret = controller.config.clusterSecret;
  });
  afterAll(stopAllTestProcesses);

  it('registers an executor on hello and welcomes it with its state', async () => {
    const exec = await connectFakeExecutor(controller.url, { secret, identity: { tags: ['ssd'], labels: { zone: 'a' } } });
    expect(exec.welcome).toEqual({ type: 'welcome', executorState: 'ACTIVE', snapshotIntervalMs: 1_234, knownInstanceIds: [], features: ['taskUpdates', 'instanceUpdates', 'stats'], epoch: 0 });
    const live = controller.ctx!.executors.get(exec.identity.executorId);
    expect(live?.connected).toBe(true);
    expect(live?.record).toMatchObject({ hostname: 'fake-host', executorState: 'ACTIVE', tags: ['ssd'], labels: { zone: 'a' } });
    expect(controller.ctx!.ledger.usage(exec.identity.executorId)).toMatchObject({ freeCores: 4, freeMemory: 4096 });
    const persisted = await controller.ctx!.store.getExecutor(exec.identity.executorId);
    expect(persisted?.executorState).toBe('ACTIVE');
    const events = await controller.api().get('/apis/v1/cluster/events');
    expect(events.body.data.find((e: { type: string; metadata: Record<string, unknown> }) => e.type === 'EXECUTOR_ADDED' && e.metadata.EXECUTOR_ID === exec.identity.executorId))
      .toMatchObject({ metadata: { HOSTNAME: 'fake-host', PORT: exec.identity.port } });
    await exec.close();
  });

  it('refuses a wrong or missing secret with HTTP 401 before the upgrade and logs the remote address', async () => {
    for (const wrong of ['not-the-secret', '']) {
      await expect(connectFakeExecutor(controller.url, { secret: wrong, hello: false })).rejects.toThrow('channel upgrade refused: HTTP 401');
    }
    const warning = await waitFor(() => logLines.find((l) => String(l.msg).includes('wrong or missing cluster secret')));
    expect(String(warning.remoteAddress)).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('answers a plain HTTP request to the channel with 426 in the envelope', async () => {
    const res = await controller.api(false).get('/apis/v1/internal/executors/channel');
    expect(res.status).toBe(426);
    expect(res.body.status).toBe('FAILED');
  });

  it('refuses a first frame that is not a valid hello with 4003', async () => {
    const notHello = await connectFakeExecutor(controller.url, { secret, hello: false });
    notHello.send({ type: 'snapshot', tasks: [], instances: [], time: 1 });
    expect(await notHello.waitClosed()).toMatchObject({ code: CLOSE_REFUSED, reason: expect.stringContaining('hello') });

    const badHello = await connectFakeExecutor(controller.url, { secret, hello: false });
    badHello.send({ type: 'hello', executor: { ...fakeIdentity(), port: 'eighty' } });
    expect(await badHello.waitClosed()).toMatchObject({ code: CLOSE_REFUSED, reason: expect.stringContaining('executor.port') });
  });

  it('logs and ignores malformed frames after hello, and keeps serving the connection', async () => {
    const exec = await connectFakeExecutor(controller.url, { secret });
    const updates: string[] = [];
    const onUpdate = (_id: string, report: TaskReport) => updates.push(report.instanceId);
    controller.ctx!.executors.on('taskUpdate', onUpdate);
    exec.sendRaw('{not json');
    exec.send({ type: 'no-such-type' });
    exec.send({ type: 'taskUpdate', task: { instanceId: 'TI-x' } });
    exec.socket.send(Buffer.from([1, 2, 3]));
    exec.send({ type: 'taskUpdate', task: taskReport('TI-good') });
    await waitFor(() => updates.includes('TI-good'));
    expect(updates).toEqual(['TI-good']);
    expect(exec.closed).toBeUndefined();
    expect(logLines.filter((l) => l.msg === 'malformed executor frame ignored').length).toBeGreaterThanOrEqual(3);
    controller.ctx!.executors.off('taskUpdate', onUpdate);
    await exec.close();
  });

  it('refuses a malformed instanceUpdates frame whole, and applies a valid one report by report, in order', async () => {
    const exec = await connectFakeExecutor(controller.url, { secret });
    const updates: string[] = [];
    const onUpdate = (_id: string, report: InstanceReport) => updates.push(`${report.instanceId}:${report.state}`);
    controller.ctx!.executors.on('instanceUpdate', onUpdate);
    const malformed = () => logLines.filter((l) => l.msg === 'malformed executor frame ignored').length;
    const before = malformed();
    exec.send({ type: 'instanceUpdates' });
    exec.send({ type: 'instanceUpdates', instances: instanceReport('AI-x') });
    // One bad report spoils the frame: the good one before it is not applied either.
    exec.send({ type: 'instanceUpdates', instances: [instanceReport('AI-x'), { ...instanceReport('AI-y'), state: 'DANCING' }] });
    exec.send({ type: 'instanceUpdates', instances: [instanceReport('AI-1', 'STARTING'), instanceReport('AI-2', 'PENDING'), instanceReport('AI-1', 'HEALTHY')] });
    await waitFor(() => updates.length === 3);
    expect(updates).toEqual(['AI-1:STARTING', 'AI-2:PENDING', 'AI-1:HEALTHY']);
    expect(exec.closed).toBeUndefined();
    await waitFor(() => malformed() - before === 3, { message: 'three malformed frames logged' });
    controller.ctx!.executors.off('instanceUpdate', onUpdate);
    await exec.close();
  });

  it('keeps the last reports: snapshot replaces, updates amend', async () => {
    const exec = await connectFakeExecutor(controller.url, { secret });
    const id = exec.identity.executorId;
    exec.send({ type: 'snapshot', tasks: [taskReport('TI-1'), taskReport('TI-2')], instances: [], time: 5 });
    await waitFor(() => controller.ctx!.executors.get(id)?.tasks.size === 2);
    exec.send({ type: 'taskUpdate', task: taskReport('TI-2', 'STOPPED') });
    await waitFor(() => controller.ctx!.executors.get(id)?.tasks.get('TI-2')?.state === 'STOPPED');
    exec.send({ type: 'snapshot', tasks: [taskReport('TI-3')], instances: [], time: 6 });
    await waitFor(() => [...controller.ctx!.executors.get(id)!.tasks.keys()].join() === 'TI-3');
    await exec.close();
  });

  it('replaces an older connection of the same executor (4009)', async () => {
    const identity = fakeIdentity();
    const first = await connectFakeExecutor(controller.url, { secret, identity });
    const second = await connectFakeExecutor(controller.url, { secret, identity });
    expect(await first.waitClosed()).toMatchObject({ code: CLOSE_REPLACED });
    expect(second.welcome?.type).toBe('welcome');
    const live = controller.ctx!.executors.get(identity.executorId)!;
    expect(live.connected).toBe(true);
    expect(controller.ctx!.executors.send(identity.executorId, { type: 'forget', instanceIds: ['TI-z'] })).toBe(true);
    await second.nextMessage((m) => m.type === 'forget');
    expect(first.received.some((m) => m.type === 'forget')).toBe(false);
    await second.close();
  });

  it('does request/reply: answers, failures, timeouts and disconnects', async () => {
    const exec = await connectFakeExecutor(controller.url, { secret });
    const id = exec.identity.executorId;
    const registry = controller.ctx!.executors;
    const target = { kind: 'task' as const, instanceId: 'TI-1' };

    const answered = registry.request<{ files: string[] }>(id, { action: 'logs.list', target });
    const req = await exec.nextMessage<RequestMessage>((m) => m.type === 'request');
    expect(req).toMatchObject({ action: 'logs.list', target });
    exec.send({ type: 'reply', requestId: req.requestId, ok: true, data: { files: ['output.log'] } });
    expect(await answered).toEqual({ files: ['output.log'] });

    const refused = registry.request(id, { action: 'logs.read', target, fileName: '../x', offset: 0, length: 10 });
    const req2 = await exec.nextMessage<RequestMessage>((m) => m.type === 'request' && m.requestId !== req.requestId);
    exec.send({ type: 'reply', requestId: req2.requestId, ok: false, error: 'path traversal', status: 400 });
    await expect(refused).rejects.toSatisfy((e: unknown) => e instanceof ExecutorRequestError && e.status === 400 && e.message === 'path traversal');

    await expect(registry.request(id, { action: 'logs.list', target }, 150)).rejects.toBeInstanceOf(ExecutorRequestTimeoutError);

    const pending = expect(registry.request(id, { action: 'logs.list', target }, 5_000)).rejects.toBeInstanceOf(ExecutorNotConnectedError);
    await exec.close();
    await pending;
    await expect(registry.request(id, { action: 'logs.list', target })).rejects.toBeInstanceOf(ExecutorNotConnectedError);
    expect(registry.send(id, { type: 'forget', instanceIds: [] })).toBe(false);
  });

  it('notices a silent executor, declares it lost, then removes it; it can come back', async () => {
    const identity = fakeIdentity();
    const id = identity.executorId;
    const seen: string[] = [];
    const registry = controller.ctx!.executors;
    const record = (name: string) => (x: unknown) => seen.push(`${name}:${typeof x === 'string' ? x : (x as { record: { executorId: string } }).record.executorId}`);
    const onDisconnected = record('disconnected');
    const onLost = record('lost');
    const onRemoved = record('removed');
    registry.on('disconnected', onDisconnected).on('lost', onLost).on('removed', onRemoved);

    // A hung executor: connected, but answers no ping and sends nothing.
    const hung = await connectFakeExecutor(controller.url, { secret, identity, autoPong: false });
    const started = Date.now();
    await waitFor(() => seen.includes(`disconnected:${id}`), { timeoutMs: 3_000 });
    await waitFor(() => seen.includes(`lost:${id}`), { timeoutMs: 3_000 });
    const lostAfter = Date.now() - started;
    expect(lostAfter).toBeGreaterThanOrEqual(LOST_AFTER_MS - 100);
    expect((await controller.ctx!.store.getExecutor(id))?.lostAt).toBeTypeOf('number');
    await waitFor(() => seen.includes(`removed:${id}`), { timeoutMs: 4_000 });
    expect(registry.get(id)).toBeUndefined();
    const list = await controller.api().get('/apis/v1/cluster/executors');
    expect(list.body.data.find((e: { executorId: string }) => e.executorId === id)).toMatchObject({ state: 'REMOVED', freeCores: 4 });
    expect(await controller.ctx!.store.getExecutor(id)).toBeUndefined();
    expect(hung.closed?.code).toBe(1006);

    const types = (await controller.api().get('/apis/v1/cluster/events')).body.data
      .filter((e: { metadata: Record<string, unknown> }) => e.metadata.EXECUTOR_ID === id).map((e: { type: string }) => e.type);
    expect(types).toEqual(['EXECUTOR_REMOVED', 'EXECUTOR_ADDED']);
    const stored = await controller.ctx!.store.listEvents({ types: ['EXECUTOR_LOST'] });
    expect(stored.some((e) => e.metadata.EXECUTOR_ID === id)).toBe(true);

    const back = await connectFakeExecutor(controller.url, { secret, identity });
    expect(registry.get(id)?.connected).toBe(true);
    await waitFor(async () => (await controller.ctx!.store.listEvents({ types: ['EXECUTOR_ADDED'] })).filter((e) => e.metadata.EXECUTOR_ID === id).length === 2);
    registry.off('disconnected', onDisconnected).off('lost', onLost).off('removed', onRemoved);
    await back.close();
  });

  it('announces EXECUTOR_RECONNECTED when a lost executor returns before removal', async () => {
    const identity = fakeIdentity();
    const first = await connectFakeExecutor(controller.url, { secret, identity });
    await first.close();
    await waitFor(() => controller.ctx!.executors.get(identity.executorId)?.record.lostAt !== undefined, { timeoutMs: 3_000 });
    const again = await connectFakeExecutor(controller.url, { secret, identity });
    const live = controller.ctx!.executors.get(identity.executorId)!;
    expect(live.connected).toBe(true);
    expect(live.record.lostAt).toBeUndefined();
    await waitFor(async () => (await controller.ctx!.store.listEvents({ types: ['EXECUTOR_RECONNECTED'] })).some((e) => e.metadata.EXECUTOR_ID === identity.executorId));
    await again.close();
  });
});
