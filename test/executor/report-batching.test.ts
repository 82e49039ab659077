/**
 * Task and instance reports leave the executor once per event-loop turn: as one `taskUpdates` /
 * `instanceUpdates` frame to a controller that announced the feature, as separate `taskUpdate` /
 * `instanceUpdate` frames otherwise — every state still reported, in order; and the starts of a
 * `startTasks` frame all run. Unit tests of the outbox, then a real agent (real processes, or
 * the mock driver for instances) against the test controller.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ExecutorMessage, InstanceReport, TaskReport } from '../../src/api/channel-protocol.ts';
import type { WorkloadEvent } from '../../src/api/task-types.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { startExecutor, type ExecutorAgent } from '../../src/executor/agent/executor-agent.ts';
import { ReportOutbox } from '../../src/executor/agent/report-outbox.ts';
import { FakeController } from './helpers/fake-controller.ts';
import { appSpec, startInstance, startTask, taskSpec } from './helpers/specs.ts';
import { tempDir } from './helpers/workload-fixtures.ts';

const FULL_LIFECYCLE = ['PENDING', 'PROVISIONING', 'STARTING', 'RUNNING', 'RUN_COMPLETED', 'DEPROVISIONING', 'STOPPED'];

function report(instanceId: string, state: TaskReport['state'], events: WorkloadEvent[]): TaskReport {
  return { instanceId, sourceAppName: 'app', taskId: instanceId, state, errorMessage: '', events: [...events], updated: Date.now() };
}

function instanceReport(instanceId: string, state: InstanceReport['state'], events: WorkloadEvent[]): InstanceReport {
  return { instanceId, appId: 'app-1', appName: 'app', state, errorMessage: '', events: [...events], updated: Date.now() };
}

/** An outbox whose controller announced `features`, and the frames it sent (unpaced unless `pacingMs`). */
function outbox(features: string[], pacingMs = 0): { box: ReportOutbox; sent: ExecutorMessage[] } {
  const sent: ExecutorMessage[] = [];
  return { sent, box: new ReportOutbox({ send: (m) => sent.push(m) > 0, accepts: (feature) => features.includes(feature), pacingMs }) };
}

const BOTH = ['taskUpdates', 'instanceUpdates'];
const INSTANCE_LIFECYCLE = ['PENDING', 'PROVISIONING', 'STARTING', 'UNREADY', 'READY', 'HEALTHY', 'STOPPING', 'DEPROVISIONING', 'STOPPED'];

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('report outbox', () => {
  it('sends the reports of one turn as one frame, in order, events carried by the latest report of each task', async () => {
    const { box, sent } = outbox(BOTH);
    const received: WorkloadEvent = { time: 1, type: 'Received', message: 'r' };
    const started: WorkloadEvent = { time: 2, type: 'Started', message: 's' };
    box.push(report('a', 'PENDING', [received]), 'task');
    box.push(report('b', 'PENDING', []), 'task');
    box.push(report('a', 'PROVISIONING', [received]), 'task');
    box.push(report('a', 'STARTING', [received, started]), 'task');
    expect(sent).toEqual([]);
    await nextTurn();
    expect(sent).toHaveLength(1);
    const frame = sent[0] as Extract<ExecutorMessage, { type: 'taskUpdates' }>;
    expect(frame.type).toBe('taskUpdates');
    expect(frame.tasks.map((t) => `${t.instanceId}:${t.state}`)).toEqual(['a:PENDING', 'b:PENDING', 'a:PROVISIONING', 'a:STARTING']);
    expect(frame.tasks.map((t) => t.events.length)).toEqual([0, 0, 0, 2]);
  });

  it('keeps the events of an earlier report when the later one no longer holds them all', async () => {
    const { box, sent } = outbox(BOTH);
    const old: WorkloadEvent = { time: 1, type: 'Old', message: 'trimmed later' };
    const fresh: WorkloadEvent = { time: 2, type: 'New', message: 'n' };
    box.push(report('a', 'RUNNING', [old]), 'task');
    box.push(report('a', 'RUN_COMPLETED', [fresh]), 'task');
    box.flush();
    const frame = sent[0] as Extract<ExecutorMessage, { type: 'taskUpdates' }>;
    expect(frame.tasks.map((t) => t.events)).toEqual([[old], [fresh]]);
  });

  it('falls back to one taskUpdate frame per report for a controller without the feature', async () => {
    const { box, sent } = outbox([]);
    box.push(report('a', 'PENDING', []), 'task');
    box.push(report('a', 'PROVISIONING', []), 'task');
    box.flush(); // e.g. before a snapshot: nothing older may follow it
    await nextTurn();
    expect(sent.map((m) => (m.type === 'taskUpdate' ? m.task.state : m.type))).toEqual(['PENDING', 'PROVISIONING']);
  });

  it('sends the instance reports of one turn as one instanceUpdates frame, in order, each with its events', async () => {
    const { box, sent } = outbox(BOTH);
    const received: WorkloadEvent = { time: 1, type: 'Received', message: 'r' };
    const ready: WorkloadEvent = { time: 2, type: 'Ready', message: 'ready' };
    box.push(instanceReport('a', 'UNREADY', [received]), 'instance');
    box.push(instanceReport('b', 'STOPPING', []), 'instance');
    box.push(instanceReport('a', 'READY', [received, ready]), 'instance');
    box.push(instanceReport('a', 'HEALTHY', [received, ready]), 'instance');
    expect(sent).toEqual([]);
    await nextTurn();
    expect(sent).toHaveLength(1);
    const frame = sent[0] as Extract<ExecutorMessage, { type: 'instanceUpdates' }>;
    expect(frame.type).toBe('instanceUpdates');
    expect(frame.instances.map((i) => `${i.instanceId}:${i.state}`)).toEqual(['a:UNREADY', 'b:STOPPING', 'a:READY', 'a:HEALTHY']);
    // Unlike task reports, each keeps its events: the controller may ignore the later report.
    expect(frame.instances.map((i) => i.events.length)).toEqual([1, 0, 2, 2]);
  });

  it('sends the task and instance reports of one turn together, one frame per kind, each batched only where announced', async () => {
    for (const [features, types] of [
      [BOTH, ['taskUpdates', 'instanceUpdates']],
      [['taskUpdates'], ['taskUpdates', 'instanceUpdate', 'instanceUpdate']],
      [['instanceUpdates'], ['taskUpdate', 'taskUpdate', 'instanceUpdates']],
      [[], ['taskUpdate', 'taskUpdate', 'instanceUpdate', 'instanceUpdate']],
    ] as const) {
      const { box, sent } = outbox([...features]);
      box.push(instanceReport('i', 'PENDING', []), 'instance');
      box.push(report('t', 'PENDING', []), 'task');
      box.push(instanceReport('i', 'PROVISIONING', []), 'instance');
      box.push(report('t', 'PROVISIONING', []), 'task');
      box.flush(); // before a snapshot: everything queued leaves at once, nothing later
      await nextTurn();
      expect(sent.map((m) => m.type), features.join()).toEqual(types);
    }
  });
});

describe('report pacing', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const states = (frame: ExecutorMessage) => (frame as Extract<ExecutorMessage, { type: 'taskUpdates' }>).tasks.map((t) => t.state);

  it('sends the first report after a quiet spell at the end of its turn, and holds later ones until the pacing time has passed', async () => {
    const { box, sent } = outbox(BOTH, 150);
    box.push(report('a', 'PROVISIONING', []), 'task');
    await nextTurn();
    expect(sent.map(states)).toEqual([['PROVISIONING']]);
    const firstLeft = performance.now();
    box.push(report('a', 'RUNNING', []), 'task');
    await nextTurn();
    await sleep(40);
    box.push(report('a', 'RUN_COMPLETED', []), 'task');
    box.push(report('a', 'STOPPED', []), 'task');
    expect(sent).toHaveLength(1); // still held: the last frame left less than 150 ms ago
    while (sent.length < 2) await sleep(5);
    expect(performance.now() - firstLeft).toBeGreaterThanOrEqual(145);
    expect(sent.map(states)).toEqual([['PROVISIONING'], ['RUNNING', 'RUN_COMPLETED', 'STOPPED']]);
    await sleep(200); // quiet again: the next report leaves at the end of its turn
    box.push(report('b', 'PENDING', []), 'task');
    await nextTurn();
    expect(sent.map(states)).toEqual([['PROVISIONING'], ['RUNNING', 'RUN_COMPLETED', 'STOPPED'], ['PENDING']]);
  });

  it('sends held reports at once on flush (before a snapshot), and nothing twice', async () => {
    const { box, sent } = outbox(BOTH, 10_000);
    box.push(report('a', 'PENDING', []), 'task');
    await nextTurn();
    box.push(instanceReport('i', 'STARTING', []), 'instance');
    box.push(report('a', 'RUNNING', []), 'task');
    await sleep(20);
    expect(sent).toHaveLength(1);
    box.flush();
    expect(sent.map((m) => m.type)).toEqual(['taskUpdates', 'taskUpdates', 'instanceUpdates']);
    await sleep(20);
    expect(sent).toHaveLength(3);
  });
});

describe('agent reports', () => {
  const cleanups: (() => Promise<void>)[] = [];
  const agents: ExecutorAgent[] = [];
  const controllers: FakeController[] = [];

  async function setUp(features: string[] | undefined, port: number, driver?: 'mock'): Promise<FakeController> {
    const { dir, cleanup } = await tempDir('corral-batch-');
    cleanups.push(cleanup);
    const controller = await FakeController.start({ features });
    controllers.push(controller);
    agents.push(await startExecutor({ controllers: controller.url, secret: controller.secret, dataDir: dir, port, driver, logger: silentLogger }));
    await controller.waitFor((m) => m.type === 'snapshot');
    return controller;
  }

  afterAll(async () => {
    for (const agent of agents) await agent.stop({ killWorkloads: true });
    for (const controller of controllers) await controller.close();
    for (const cleanup of cleanups) await cleanup();
  });

  it('packs the bursts of a short task into taskUpdates frames, every state in order', async () => {
    const controller = await setUp(['taskUpdates'], 3621);
    const id = startTask(controller, taskSpec('/bin/true'));
    const final = await controller.waitForTask(id, (r) => r.state === 'STOPPED');
    expect(final.taskResult).toEqual({ status: 'SUCCESSFUL', exitCode: 0 });
    expect(controller.statesOf(id)).toEqual(FULL_LIFECYCLE);
    const frames = controller.messages.filter((m) => m.type === 'taskUpdates' && m.tasks.some((t) => t.instanceId === id));
    expect(controller.messages.some((m) => m.type === 'taskUpdate')).toBe(false);
    // PENDING…STARTING leave in one turn, and so do RUN_COMPLETED…STOPPED
    expect(frames.length).toBeLessThanOrEqual(4);
  });

  it('announces startTasks in its hello and runs every start of a startTasks frame', async () => {
    const controller = await setUp(['taskUpdates'], 3623);
    expect(controller.hellos[0].features).toContain('startTasks');
    const allocation = { numaNode: '0', cores: [0], memoryMB: 64 };
    const starts = [taskSpec('/bin/sh', ['-c', 'exit 0']), taskSpec('/bin/sh', ['-c', 'exit 5'])].map((spec, i) => ({
      instanceId: `TI-batch-${i}`, spec, allocation, killTimeoutMs: 1_000,
    }));
    controller.send({ type: 'startTasks', tasks: [...starts, { ...starts[0], instanceId: '../bad' }] });
    const results = await Promise.all(starts.map((s) => controller.waitForTask(s.instanceId, (r) => r.state === 'STOPPED')));
    expect(results.map((r) => r.taskResult)).toEqual([{ status: 'SUCCESSFUL', exitCode: 0 }, { status: 'FAILED', exitCode: 5 }]);
  });

  it('sends one taskUpdate per state to a controller without the feature', async () => {
    const controller = await setUp(undefined, 3622);
    const id = startTask(controller, taskSpec('/bin/sh', ['-c', 'exit 2']));
    const final = await controller.waitForTask(id, (r) => r.state === 'STOPPED');
    expect(final.taskResult).toEqual({ status: 'FAILED', exitCode: 2 });
    expect(controller.statesOf(id)).toEqual(FULL_LIFECYCLE);
    expect(controller.messages.some((m) => m.type === 'taskUpdates')).toBe(false);
  });

  /** Starts three instances (mock driver) in one turn, waits until HEALTHY, stops them in one turn. */
  async function runInstances(controller: FakeController): Promise<string[]> {
    const ids = [0, 1, 2].map(() => startInstance(controller, appSpec('x', [])));
    await Promise.all(ids.map((id) => controller.waitForInstance(id, (r) => r.state === 'HEALTHY')));
    for (const instanceId of ids) controller.send({ type: 'stopInstance', instanceId, mode: 'GRACEFUL', reason: 'scale down' });
    await Promise.all(ids.map((id) => controller.waitForInstance(id, (r) => r.state === 'STOPPED')));
    return ids;
  }

  it('packs the instance reports of a turn into one instanceUpdates frame, every state in order', async () => {
    const controller = await setUp(['taskUpdates', 'instanceUpdates'], 3624, 'mock');
    const ids = await runInstances(controller);
    for (const id of ids) expect(controller.statesOf(id)).toEqual(INSTANCE_LIFECYCLE);
    expect(controller.messages.some((m) => m.type === 'instanceUpdate')).toBe(false);
    const frames = controller.messages.filter((m) => m.type === 'instanceUpdates');
    // 3 × 9 states; the states of one turn (several steps of one instance, or the same step of
    // several) share a frame.
    const reports = frames.reduce((n, m) => n + m.instances.length, 0);
    expect(reports).toBeGreaterThanOrEqual(27);
    expect(frames.some((m) => m.instances.length > 1)).toBe(true);
    expect(frames.length).toBeLessThan(reports);
  });

  it('sends one instanceUpdate per state to a controller without the feature', async () => {
    const controller = await setUp(['taskUpdates'], 3625, 'mock');
    const ids = await runInstances(controller);
    for (const id of ids) expect(controller.statesOf(id)).toEqual(INSTANCE_LIFECYCLE);
    expect(controller.messages.some((m) => m.type === 'instanceUpdates')).toBe(false);
    expect(controller.messages.filter((m) => m.type === 'instanceUpdate').length).toBeGreaterThanOrEqual(27);
  });
});
