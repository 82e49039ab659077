/**
 * The controller as a child process with real `corral executor` processes: registration with
 * the right ids and resources, a killed executor declared lost within its grace period, a wrong
 * secret refused, and a controller restart (after SIGKILL) on the same SQLite file keeping the
 * executors' blacklist and the maintenance state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executorIdOf } from '../../src/common/ids.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { openEventStream } from '../helpers/event-stream-client.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor, type TestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';

const LOST_AFTER_MS = 1_500;
const SNAPSHOT_INTERVAL_MS = 500;

describe('controller with real executor processes', () => {
  let controller: TestController;
  let one: TestExecutor;
  let two: TestExecutor;

  beforeAll(async () => {
    controller = await startTestController({
      mode: 'child',
      config: { executorLostAfterMs: LOST_AFTER_MS, executorRemovedAfterMs: 120_000, maintenanceGraceMs: 200, snapshotIntervalMs: SNAPSHOT_INTERVAL_MS },
    });
    const secret = controller.config.clusterSecret;
    [one, two] = await Promise.all([
      startTestExecutor(controller.url, { secret, name: 'one', cores: 2, memoryMb: 1000, tags: ['gpu'] }),
      startTestExecutor(controller.url, { secret, name: 'two', cores: 3, memoryMb: 2000, labels: { zone: 'b' } }),
    ]);
  });
  afterAll(stopAllTestProcesses);

  it('registers both with their ids and resources', async () => {
    const list = (await controller.api().get('/apis/v1/cluster/executors')).body.data as Record<string, unknown>[];
    expect(list).toHaveLength(2);
    const byId = new Map(list.map((row) => [row.executorId, row]));
    expect(one.executorId).toBe(executorIdOf('127.0.0.1', one.port));
    expect(byId.get(one.executorId)).toMatchObject({ hostname: '127.0.0.1', port: one.port, freeCores: 2, usedCores: 0, freeMemory: 1000, usedMemory: 0, tags: ['127.0.0.1', 'gpu'], state: 'ACTIVE' });
    expect(byId.get(two.executorId)).toMatchObject({ freeCores: 3, freeMemory: 2000, state: 'ACTIVE' });
    const details = (await controller.api().get(`/apis/v1/cluster/executors/${two.executorId}`)).body.data;
    expect(details).toMatchObject({ name: 'two', labels: { zone: 'b' }, connected: true, executorState: 'ACTIVE' });
    expect(details.drivers).toContain('PROCESS');
    const summary = (await controller.api().get('/apis/v1/cluster')).body.data;
    expect(summary).toMatchObject({ numExecutors: 2, totalCores: 5, totalMemory: 3000 });
  });

  it('refuses an executor with the wrong secret', async () => {
    const intruder = await startTestExecutor(controller.url, { secret: 'wrong-secret-value', name: 'intruder', waitRegistered: false });
    await waitFor(() => controller.output().includes('wrong or missing cluster secret'), { timeoutMs: 10_000 });
    expect(controller.output()).toMatch(/"remoteAddress":"127\.0\.0\.1:\d+"/);
    expect((await controller.api().get(`/apis/v1/cluster/executors/${intruder.executorId}`)).body.status).toBe('FAILED');
    await intruder.kill();
  });

  it('declares a killed executor lost within its grace period', async () => {
    const stream = await openEventStream(controller.url, { query: 'type=EXECUTOR_LOST' });
    await waitFor(() => stream.comments.includes('connected'));
    const killedAt = Date.now();
    await one.kill('SIGKILL');
    // The dropped connection is noticed at once.
    await waitFor(async () => (await controller.api().get('/apis/v1/cluster')).body.data.numExecutors === 1, { timeoutMs: 2_000 });
    const lost = await waitFor(() => stream.events.find((e) => e.metadata.EXECUTOR_ID === one.executorId), { timeoutMs: LOST_AFTER_MS + 3_000 });
    const elapsed = Date.now() - killedAt;
    // The grace counts from the last frame heard, which may precede the kill by up to a snapshot interval.
    expect(elapsed).toBeGreaterThanOrEqual(LOST_AFTER_MS - SNAPSHOT_INTERVAL_MS - 100);
    expect(elapsed).toBeLessThan(LOST_AFTER_MS + 2_000);
    expect(lost.metadata).toMatchObject({ HOSTNAME: '127.0.0.1', PORT: one.port });
    stream.close();
    // Still listed (not removed yet), with its persisted state.
    const list = (await controller.api().get('/apis/v1/cluster/executors')).body.data;
    expect(list.map((r: { executorId: string }) => r.executorId)).toContain(one.executorId);
  });

  it('keeps blacklist and maintenance state across a controller crash and restart', async () => {
    const blacklisted = await controller.api().post(`/apis/v1/cluster/executors/${two.executorId}/blacklist`);
    expect(blacklisted.body.data.successful).toEqual([two.executorId]);
    await controller.api().post('/apis/v1/cluster/maintenance/set');

    await controller.kill('SIGKILL');
    controller = await startTestController({ mode: 'child', dataDir: controller.dataDir, config: controller.config });

    expect((await controller.api().get('/apis/v1/cluster')).body.data.state).toBe('MAINTENANCE');
    // The executor reconnects on its own and keeps its blacklisting.
    const details = await waitFor(async () => {
      const res = await controller.api().get(`/apis/v1/cluster/executors/${two.executorId}`);
      return res.body.data?.connected ? res.body.data : undefined;
    }, { timeoutMs: 15_000 });
    expect(details).toMatchObject({ executorState: 'BLACKLISTED', blacklisted: true });
    const refused = await controller.api().post(`/apis/v1/cluster/executors/${two.executorId}/unblacklist`);
    expect(refused.body).toEqual({ status: 'FAILED', message: 'Cluster is in maintenance mode' });

    await controller.api().post('/apis/v1/cluster/maintenance/unset');
    const unblacklisted = await waitFor(async () => {
      const res = await controller.api().post(`/apis/v1/cluster/executors/${two.executorId}/unblacklist`);
      return res.body.status === 'SUCCESS' ? res.body.data : undefined;
    }, { timeoutMs: 5_000 });
    expect(unblacklisted.successful).toEqual([two.executorId]);
    expect((await controller.api().get(`/apis/v1/cluster/executors/${two.executorId}`)).body.data.executorState).toBe('ACTIVE');
  });
});
