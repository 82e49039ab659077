/**
 * Rejections of task operations (docs/api.md §3, §1.4): the exact answers, and no record left
 * behind. The executor is a scripted one (test/helpers/fake-executor.ts) because these tests
 * only need its resources and its reports; everything on the controller side is real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartTaskMessage } from '../../src/api/channel-protocol.ts';
import { createTaskModule } from '../../src/controller/tasks/task-module.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { connectFakeExecutor, type FakeExecutor } from '../helpers/fake-executor.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { createBody, getTask, killBody, OP_SPEC, processSpec, report, waitForTaskState } from './task-fixtures.ts';

let controller: TestController;
let exec: FakeExecutor;

beforeAll(async () => {
  controller = await startTestController({ modules: [createTaskModule], config: { maintenanceGraceMs: 0 } });
  exec = await connectFakeExecutor(controller.url, { secret: controller.config.clusterSecret, identity: { name: 'node-x', labels: { color: 'blue' } } });
});
afterAll(stopAllTestProcesses);

const admin = () => controller.api();

async function rejected(body: unknown, message = 'Command validation failure') {
  const res = await admin().post('/apis/v1/tasks/operations', body);
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.status).toBe('FAILED');
  expect(res.body.message).toBe(message);
  return res.body.data?.validationErrors as string[];
}

async function assertNoRecord(sourceAppName: string, taskId: string) {
  const res = await admin().get(`/apis/v1/tasks/${sourceAppName}/instances/${taskId}`);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ status: 'FAILED', message: `No such task instance ${sourceAppName}/${taskId}` });
  expect(await controller.ctx!.store.getTask(sourceAppName, taskId)).toBeUndefined();
}

describe('bad task input', () => {
  it('rejects missing and wrongly typed fields, illegal ids, unknown executable types', async () => {
    expect(await rejected({ type: 'CREATE', opSpec: OP_SPEC })).toEqual([expect.stringContaining('spec')]);
    expect(await rejected({ type: 'CREATE', spec: processSpec('x1', '/bin/true') })).toEqual([expect.stringContaining('opSpec')]);
    expect(await rejected(createBody(processSpec('bad id!', '/bin/true')))).toEqual([expect.stringContaining('spec.taskId')]);
    await rejected(createBody(processSpec('x2', '/bin/true', [], { resources: 'lots' })), 'JSON validation failure');
    await rejected(createBody(processSpec('x3', '/bin/true', [], { executable: { type: 'FOO', command: '/bin/true' } })), 'JSON validation failure');
    await rejected(createBody(processSpec('x4', 'relative/cmd')));
    await rejected({ type: 'EXPLODE', spec: processSpec('x5', '/bin/true'), opSpec: OP_SPEC }, 'JSON validation failure');
    await rejected('{"type": "CREATE", "spec": {', 'JSON validation failure');
    for (const id of ['x1', 'x2', 'x3', 'x4', 'x5']) await assertNoRecord('TEST_APP', id);
    await assertNoRecord('TEST_APP', 'bad id!');
  });

  it('rejects capacity and spec-rule failures with the verbatim messages', async () => {
    const errors = await rejected(createBody(processSpec('big', '/bin/true', [], { resources: [{ type: 'CPU', count: 64 }, { type: 'MEMORY', sizeInMB: 1_000_000 }] })));
    expect(errors).toEqual([
      'Cluster does not have enough CPU. Required: 64 Available: 4',
      'Cluster does not have enough Memory. Required: 1000000 Available: 4096',
      'Required cores exceeds the maximum core available on a single NUMA node in the cluster. Required: 64 Max: 4',
    ]);
    expect(await rejected(createBody(processSpec('local', '/bin/true', [], { placementPolicy: { type: 'LOCAL' } }))))
      .toContain('Local service placement is not allowed for tasks');
    await assertNoRecord('TEST_APP', 'big');
    await assertNoRecord('TEST_APP', 'local');
  });

  it('rejects a node filter that matches no executor, naming it', async () => {
    const nodeFilter = { filterSetType: 'union', filterSet: [{ filterType: 'intersection', nodeLabels: { color: 'purple' } }] };
    const errors = await rejected(createBody(processSpec('fan', '/bin/true', [], { nodeFilter })));
    expect(errors).toEqual([expect.stringMatching(/^nodeFilter matches no executor: .*purple/)]);
    await assertNoRecord('TEST_APP', 'fan');
    const dry = await admin().post('/apis/v1/cluster/nodefilter', { filterSetType: 'union', filterSet: [{ filterType: 'union', nodeLabels: { color: 'blue' } }] });
    expect(dry.body.data).toEqual([{ executorId: exec.identity.executorId, name: 'node-x', hostname: 'fake-host', executorState: 'ACTIVE', connected: true }]);
    const none = await controller.api({ user: 'guest', password: 'guest' }).post('/apis/v1/cluster/nodefilter', nodeFilter);
    expect(none.body).toEqual({ status: 'SUCCESS', data: [], message: 'success' });
  });

  it('rejects a duplicate pair while its record exists, KILL of unknown or finished tasks, and deletes only terminal records', async () => {
    const ok = await admin().post('/apis/v1/tasks/operations', createBody(processSpec('dup', '/bin/true')));
    expect(ok.body.data.taskId).toBe('TEST_APP-dup');
    const start = await exec.nextMessage<StartTaskMessage>((m) => m.type === 'startTask' && m.spec.taskId === 'dup');
    expect(await rejected(createBody(processSpec('dup', '/bin/true')))).toEqual(['Task already exists for TEST_APP/dup with taskID: TEST_APP-dup']);
    const active = await admin().delete('/apis/v1/tasks/TEST_APP/instances/dup');
    expect(active.body).toEqual({ status: 'FAILED', data: { deleted: false }, message: 'Could not delete TEST_APP/dup' });
    exec.send({ type: 'taskUpdate', task: report(start.instanceId, 'dup', 'STOPPED', { taskResult: { status: 'SUCCESSFUL', exitCode: 0 } }) });
    await waitForTaskState(admin(), 'TEST_APP', 'dup', ['STOPPED']);
    expect(await rejected(createBody(processSpec('dup', '/bin/true')))).toEqual(['Task already exists for TEST_APP/dup with taskID: TEST_APP-dup']);
    expect(await rejected(killBody('TEST_APP', 'dup'))).toEqual(['Either task does not exist or has already finished for TEST_APP/dup']);
    expect(await rejected(killBody('TEST_APP', 'ghost'))).toEqual(['Either task does not exist or has already finished for TEST_APP/ghost']);
    const guest = await controller.api({ user: 'guest', password: 'guest' }).delete('/apis/v1/tasks/TEST_APP/instances/dup');
    expect(guest.status).toBe(403);
    const deleted = await admin().delete('/apis/v1/tasks/TEST_APP/instances/dup');
    expect(deleted.body).toEqual({ status: 'SUCCESS', data: { deleted: true }, message: 'success' });
    await assertNoRecord('TEST_APP', 'dup');
    const unknown = await admin().delete('/apis/v1/tasks/TEST_APP/instances/dup');
    expect(unknown.body).toEqual({ status: 'FAILED', data: { deleted: false }, message: 'Could not delete TEST_APP/dup' });
    // the pair is free again
    const again = await admin().post('/apis/v1/tasks/operations', createBody(processSpec('dup', '/bin/true')));
    expect(again.body.status).toBe('SUCCESS');
    expect((await getTask(admin(), 'TEST_APP', 'dup'))?.state).toBe('PENDING');
  });

  it('validates a spec without creating anything, and refuses writes in maintenance mode', async () => {
    const valid = await admin().post('/apis/v1/tasks/validate/spec', processSpec('v1', '/bin/true'));
    expect(valid.body).toEqual({ status: 'SUCCESS', message: 'success' });
    await assertNoRecord('TEST_APP', 'v1');
    const invalid = await admin().post('/apis/v1/tasks/validate/spec', processSpec('v2', '/bin/true', [], { resources: [{ type: 'CPU', count: 99 }, { type: 'MEMORY', sizeInMB: 16 }] }));
    expect(invalid.status).toBe(400);
    expect(invalid.body.data.validationErrors[0]).toBe('Cluster does not have enough CPU. Required: 99 Available: 3');
    const readOnly = await controller.api({ user: 'guest', password: 'guest' }).post('/apis/v1/tasks/operations', createBody(processSpec('ro', '/bin/true')));
    expect(readOnly.status).toBe(403);
    expect((await admin().post('/apis/v1/cluster/maintenance/set')).body.status).toBe('SUCCESS');
    try {
      expect(await rejected(createBody(processSpec('m1', '/bin/true')))).toEqual(['Cluster is in maintenance mode']);
      expect((await admin().post('/apis/v1/tasks/validate/spec', processSpec('m2', '/bin/true'))).body.data.validationErrors).toEqual(['Cluster is in maintenance mode']);
    } finally {
      await admin().post('/apis/v1/cluster/maintenance/unset');
    }
    await assertNoRecord('TEST_APP', 'm1');
  });
});
