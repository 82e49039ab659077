/**
 * `startTask` messages of one event-loop turn leave as one `startTasks` frame per executor that
 * announced the feature in its hello, and one `startTask` each otherwise.
 *
 * The sender is first tested on its own with a stub registry, because which CREATEs finish in
 * the same turn cannot be forced through HTTP; then end to end with the real controller and a
 * scripted executor announcing the feature.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerMessage, StartTaskMessage, StartTasksMessage } from '../../src/api/channel-protocol.ts';
import type { ControllerContext } from '../../src/controller/context.ts';
import type { LiveExecutor } from '../../src/controller/executors/live-executor.ts';
import { createTaskModule } from '../../src/controller/tasks/task-module.ts';
import { TaskStartSender } from '../../src/controller/tasks/task-start-sender.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { connectFakeExecutor, type FakeExecutor } from '../helpers/fake-executor.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { createBody, processSpec, report, waitForTaskState } from './task-fixtures.ts';

function start(instanceId: string): StartTaskMessage {
  return {
    type: 'startTask', instanceId, killTimeoutMs: 1_000, allocation: { numaNode: '0', cores: [0], memoryMB: 64 },
    spec: { sourceAppName: 'app', taskId: instanceId, executable: { type: 'PROCESS', command: '/bin/true' }, resources: [] },
  };
}

/** A registry stub: which executors exist, their features, whether they are connected. */
function stubContext(executors: Record<string, { features: string[]; connected: boolean }>, sent: [string, ControllerMessage][]): ControllerContext {
  return {
    executors: {
      get: (id: string) => (executors[id] ? ({ features: executors[id].features } as unknown as LiveExecutor) : undefined),
      send: (id: string, message: ControllerMessage) => {
        if (!executors[id]?.connected) return false;
        sent.push([id, message]);
        return true;
      },
    },
  } as unknown as ControllerContext;
}

describe('TaskStartSender', () => {
  it('packs the starts of one turn per executor, keeps their order, and reports the connection they went out on', async () => {
    const sent: [string, ControllerMessage][] = [];
    const ctx = stubContext({
      batched: { features: ['startTasks'], connected: true },
      lone: { features: ['startTasks'], connected: true },
      older: { features: [], connected: true },
      away: { features: ['startTasks'], connected: false },
    }, sent);
    const sender = new TaskStartSender(ctx, (id) => (id === 'batched' ? 7 : 1));
    const confirmed: string[] = [];
    const note = (id: string) => (connection: number) => confirmed.push(`${id}@${connection}`);
    for (const id of ['a', 'b', 'c']) sender.send('batched', start(id), note(id));
    sender.send('lone', start('d'), note('d'));
    sender.send('older', start('e'), note('e'));
    sender.send('away', start('f'), note('f'));
    expect(sent).toEqual([['older', start('e')]]); // no feature: at once
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent.slice(1)).toEqual([
      ['batched', { type: 'startTasks', tasks: ['a', 'b', 'c'].map((id) => { const { type: _type, ...rest } = start(id); return rest; }) }],
      ['lone', start('d')],
    ]);
    expect(confirmed).toEqual(['e@1', 'a@7', 'b@7', 'c@7', 'd@1']); // f was not sent: its snapshot repairs it
  });
});

describe('task starts on an executor that announced startTasks', () => {
  let controller: TestController;
  let exec: FakeExecutor;

  beforeAll(async () => {
    controller = await startTestController({ modules: [createTaskModule] });
    exec = await connectFakeExecutor(controller.url, { secret: controller.config.clusterSecret, hello: false, identity: { name: 'batch-starts' } });
    exec.send({ type: 'hello', executor: exec.identity, features: ['startTasks'] });
    await exec.nextMessage((m) => m.type === 'welcome');
  });
  afterAll(stopAllTestProcesses);

  it('delivers every start (packed when they finish in one turn) and runs the tasks to the end', async () => {
    const admin = controller.api();
    const ids = ['s1', 's2', 's3', 's4'];
    await Promise.all(ids.map((id) => admin.post('/apis/v1/tasks/operations', createBody(processSpec(id, '/bin/true')))));
    const starts = () => exec.received.flatMap((m) => (m.type === 'startTask' ? [m] : m.type === 'startTasks' ? (m as StartTasksMessage).tasks : []));
    for (const id of ids) await exec.nextMessage(() => starts().some((s) => s.spec.taskId === id));
    expect(starts().map((s) => s.spec.taskId).sort()).toEqual(ids);
    for (const s of starts()) {
      exec.send({ type: 'taskUpdates', tasks: [report(s.instanceId, s.spec.taskId, 'RUNNING'), report(s.instanceId, s.spec.taskId, 'STOPPED', { taskResult: { status: 'SUCCESSFUL', exitCode: 0 } })] });
    }
    for (const id of ids) expect((await waitForTaskState(admin, 'TEST_APP', id, ['STOPPED'])).taskResult).toEqual({ status: 'SUCCESSFUL', exitCode: 0 });
  });
});
