/**
 * Cluster endpoints of docs/api.md §4 over real HTTP: ping, summary, executor list and details,
 * blacklisting (single and bulk, exact responses), maintenance mode with its gate and grace
 * window. Executors are scripted channel clients so their resources and states are exact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutorStateMessage } from '../../src/api/channel-protocol.ts';
import { CommandValidationError } from '../../src/common/errors.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { connectFakeExecutor, type FakeExecutor } from '../helpers/fake-executor.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { waitFor } from '../helpers/wait-for.ts';

const GRACE_MS = 700;

describe('cluster endpoints', () => {
  let controller: TestController;
  let a: FakeExecutor;
  let b: FakeExecutor;

  beforeAll(async () => {
    controller = await startTestController({
      modules: [],
      config: {
        maintenanceGraceMs: GRACE_MS,
        users: [
          { username: 'admin', password: 'admin', role: 'DROVE_EXTERNAL_ROOT' },
          { username: 'ops', password: 'ops', role: 'DROVE_EXTERNAL_MAINTENANCE' },
          { username: 'guest', password: 'guest', role: 'DROVE_EXTERNAL_READ_ONLY' },
        ],
      },
    });
    const secret = controller.config.clusterSecret;
    a = await connectFakeExecutor(controller.url, {
      secret,
      identity: { hostname: 'exec-a', tags: ['ssd', 'exec-a'], labels: { zone: 'z1' }, rack: 'r1', rackLabels: { row: '3' }, drivers: ['PROCESS', 'DOCKER'] },
    });
    b = await connectFakeExecutor(controller.url, {
      secret,
      identity: { hostname: 'exec-b', layout: { cores: { 0: [0, 1], 1: [2, 3, 4, 5] }, memory: { 0: 1000, 1: 3000 } } },
    });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await stopAllTestProcesses();
  });

  it('answers ping with pong', async () => {
    const res = await controller.api({ user: 'guest', password: 'guest' }).get('/apis/v1/ping');
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"status":"SUCCESS","data":"pong","message":"success"}');
  });

  it('summarises the cluster with every field present', async () => {
    const res = await controller.api().get('/apis/v1/cluster');
    expect(res.body).toEqual({
      status: 'SUCCESS',
      message: 'success',
      data: {
        leader: `127.0.0.1:${controller.port}`,
        state: 'NORMAL',
        numExecutors: 2,
        numApplications: 0,
        numActiveApplications: 0,
        numActiveTasks: 0,
        numLocalServices: 0,
        numActiveLocalServices: 0,
        freeCores: 10,
        usedCores: 0,
        totalCores: 10,
        freeMemory: 8096,
        usedMemory: 0,
        totalMemory: 8096,
      },
    });
  });

  it('lists executors with exactly the ExecutorSummary fields, hostname first in tags', async () => {
    const res = await controller.api().get('/apis/v1/cluster/executors');
    const rows = res.body.data as Record<string, unknown>[];
    const rowA = rows.find((r) => r.executorId === a.identity.executorId)!;
    expect(Object.keys(rowA).sort()).toEqual(['executorId', 'freeCores', 'freeMemory', 'hostname', 'port', 'state', 'tags', 'transportType', 'usedCores', 'usedMemory']);
    expect(rowA).toMatchObject({ hostname: 'exec-a', port: a.identity.port, transportType: 'HTTP', freeCores: 4, usedCores: 0, freeMemory: 4096, usedMemory: 0, tags: ['exec-a', 'ssd'], state: 'ACTIVE' });
  });

  it('shows executor details with resources per NUMA node and corral extras', async () => {
    const res = await controller.api().get(`/apis/v1/cluster/executors/${b.identity.executorId}`);
    expect(res.body.status).toBe('SUCCESS');
    expect(res.body.data).toMatchObject({
      type: 'EXECUTOR',
      hostname: 'exec-b',
      port: b.identity.port,
      transportType: 'HTTP',
      state: {
        executorId: b.identity.executorId,
        cpus: { type: 'CPU', freeCores: { 0: [0, 1], 1: [2, 3, 4, 5] }, usedCores: { 0: [], 1: [] } },
        memory: { type: 'MEMORY', freeMemory: { 0: 1000, 1: 3000 }, usedMemory: { 0: 0, 1: 0 } },
        layout: { cores: { 0: [0, 1], 1: [2, 3, 4, 5] }, memory: { 0: 1000, 1: 3000 } },
      },
      instances: [],
      tasks: [],
      serviceInstances: [],
      tags: ['exec-b'],
      metadata: {},
      executorState: 'ACTIVE',
      blacklisted: false,
      connected: true,
    });
    expect(res.body.data.updated).toBeTypeOf('number');
    const details = (await controller.api().get(`/apis/v1/cluster/executors/${a.identity.executorId}`)).body.data;
    expect(details).toMatchObject({ name: a.identity.name, labels: { zone: 'z1' }, rack: 'r1', rackLabels: { row: '3' }, drivers: ['PROCESS', 'DOCKER'], metadata: { zone: 'z1' } });
  });

  it('answers an unknown executor id with 200 FAILED', async () => {
    const res = await controller.api().get('/apis/v1/cluster/executors/no-such-id');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'FAILED', message: 'No executor found with id: no-such-id' });
  });

  describe('blacklisting', () => {
    it('blacklists one executor: ACTIVE → BLACKLIST_REQUESTED → BLACKLISTED, persisted and sent', async () => {
      const id = a.identity.executorId;
      const res = await controller.api({ user: 'ops', password: 'ops' }).post(`/apis/v1/cluster/executors/${id}/blacklist`, {});
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        status: 'SUCCESS', message: 'success',
        data: { successful: [id], failed: [], approxCompletionTimeMs: 0, message: 'Blacklisting successful and app movement scheduled' },
      });
      const states = await waitFor(() => {
        const sent = a.received.filter((m): m is ExecutorStateMessage => m.type === 'executorState').map((m) => m.executorState);
        return sent.length === 2 ? sent : undefined;
      });
      expect(states).toEqual(['BLACKLIST_REQUESTED', 'BLACKLISTED']);
      expect((await controller.ctx!.store.getExecutor(id))?.executorState).toBe('BLACKLISTED');
      const details = (await controller.api().get(`/apis/v1/cluster/executors/${id}`)).body.data;
      expect(details).toMatchObject({ executorState: 'BLACKLISTED', blacklisted: true });
      const list = (await controller.api().get('/apis/v1/cluster/executors')).body.data;
      expect(list.find((r: { executorId: string }) => r.executorId === id).state).toBe('BLACKLISTED');
      const events = (await controller.api().get('/apis/v1/cluster/events')).body.data.filter((e: { metadata: Record<string, unknown> }) => e.metadata.EXECUTOR_ID === id);
      expect(events.slice(0, 2).map((e: { type: string }) => e.type)).toEqual(['EXECUTOR_BLACKLISTED', 'EXECUTOR_BLACKLIST_REQUESTED']);
    });

    it('reports already-blacklisted and unknown executors as failed', async () => {
      const res = await controller.api().post(`/apis/v1/cluster/executors/${a.identity.executorId}/blacklist`, '', { headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(res.body.data).toEqual({
        successful: [], failed: [a.identity.executorId], approxCompletionTimeMs: 0,
        message: 'Blacklisting did not reflect in cluster resources DB for any of the executors.',
      });
      const bulk = await controller.api().post(`/apis/v1/cluster/executors/blacklist?id=${b.identity.executorId}&id=ghost`);
      expect(bulk.body).toMatchObject({ status: 'SUCCESS', data: { successful: [b.identity.executorId], failed: ['ghost'], message: 'Blacklisting successful and app movement scheduled' } });
    });

    it('requires at least one id for bulk calls', async () => {
      for (const path of ['/apis/v1/cluster/executors/blacklist', '/apis/v1/cluster/executors/unblacklist?id=']) {
        const res = await controller.api().post(path);
        expect(res.status).toBe(400);
        expect(res.body.message).toBe('Command validation failure');
      }
    });

    it('unblacklists: BLACKLISTED → UNREADY → ACTIVE, all or some', async () => {
      const some = await controller.api().post(`/apis/v1/cluster/executors/unblacklist?id=${a.identity.executorId}&id=ghost`);
      expect(some.body.data).toEqual({
        successful: [a.identity.executorId], failed: ['ghost'], approxCompletionTimeMs: 0,
        message: 'Unblacklisting successful for some executors. Check logs for details.',
      });
      const sent = a.received.filter((m): m is ExecutorStateMessage => m.type === 'executorState').map((m) => m.executorState);
      await waitFor(() => a.received.filter((m) => m.type === 'executorState').length === 4);
      expect(a.received.filter((m): m is ExecutorStateMessage => m.type === 'executorState').map((m) => m.executorState).slice(2)).toEqual(['UNREADY', 'ACTIVE']);
      expect(sent.length).toBeGreaterThanOrEqual(2);
      const all = await controller.api().post(`/apis/v1/cluster/executors/${b.identity.executorId}/unblacklist`);
      expect(all.body.data).toEqual({ successful: [b.identity.executorId], failed: [], approxCompletionTimeMs: 0, message: 'Unblacklisting successful for all executors' });
      const again = await controller.api().post(`/apis/v1/cluster/executors/${b.identity.executorId}/unblacklist`);
      expect(again.body.data.failed).toEqual([b.identity.executorId]);
      const unblacklisted = await controller.ctx!.store.listEvents({ types: ['EXECUTOR_UN_BLACKLISTED'] });
      expect(unblacklisted.map((e) => e.metadata.EXECUTOR_ID).sort()).toEqual([a.identity.executorId, b.identity.executorId].sort());
    });

    it('tells modules through the registry stateChanged event', async () => {
      const changes: string[] = [];
      const listener = (live: { record: { executorState: string } }, previous: string) => changes.push(`${previous}->${live.record.executorState}`);
      controller.ctx!.executors.on('stateChanged', listener);
      await controller.api().post(`/apis/v1/cluster/executors/${b.identity.executorId}/blacklist`);
      await controller.api().post(`/apis/v1/cluster/executors/${b.identity.executorId}/unblacklist`);
      controller.ctx!.executors.off('stateChanged', listener);
      expect(changes).toEqual(['ACTIVE->BLACKLIST_REQUESTED', 'BLACKLIST_REQUESTED->BLACKLISTED', 'BLACKLISTED->UNREADY', 'UNREADY->ACTIVE']);
    });
  });

  describe('maintenance mode', () => {
    it('is refused to read-only users', async () => {
      expect((await controller.api({ user: 'guest', password: 'guest' }).post('/apis/v1/cluster/maintenance/set')).status).toBe(403);
    });

    it('blocks writes while set and for the grace window after unset; reads keep working', async () => {
      const ops = controller.api({ user: 'ops', password: 'ops' });
      const set = await ops.post('/apis/v1/cluster/maintenance/set', {});
      expect(set.body).toMatchObject({ status: 'SUCCESS', data: { state: 'MAINTENANCE' } });
      expect(set.body.data.updated).toBeTypeOf('number');
      expect((await controller.api().get('/apis/v1/cluster')).body.data.state).toBe('MAINTENANCE');
      expect(controller.ctx!.cluster.inMaintenance()).toBe(true);
      expect(() => controller.ctx!.cluster.assertWritable()).toThrow(CommandValidationError);

      const refused = await ops.post(`/apis/v1/cluster/executors/${a.identity.executorId}/blacklist`);
      expect(refused.status).toBe(200);
      expect(refused.body).toEqual({ status: 'FAILED', message: 'Cluster is in maintenance mode' });
      const bulkRefused = await ops.post(`/apis/v1/cluster/executors/unblacklist?id=${a.identity.executorId}`);
      expect(bulkRefused.body).toEqual({ status: 'FAILED', message: 'Cluster is in maintenance mode' });
      expect((await ops.get('/apis/v1/cluster/executors')).status).toBe(200);

      const again = await ops.post('/apis/v1/cluster/maintenance/set');
      expect(again.body.data.updated).toBeGreaterThanOrEqual(set.body.data.updated);

      const unset = await ops.post('/apis/v1/cluster/maintenance/unset', '', { headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(unset.body).toMatchObject({ status: 'SUCCESS', data: { state: 'NORMAL' } });
      const unsetAt = unset.body.data.updated as number;
      expect((await controller.api().get('/apis/v1/cluster')).body.data.state).toBe('NORMAL');
      // Still inside the grace window.
      expect((await ops.post(`/apis/v1/cluster/executors/${a.identity.executorId}/blacklist`)).body.message).toBe('Cluster is in maintenance mode');
      expect(() => controller.ctx!.cluster.assertWritable()).toThrow('Cluster is in maintenance mode');

      const open = await waitFor(async () => {
        const res = await ops.post(`/apis/v1/cluster/executors/${a.identity.executorId}/blacklist`);
        return res.body.status === 'SUCCESS' ? res : undefined;
      }, { timeoutMs: 5_000, intervalMs: 50 });
      expect(Date.now()).toBeGreaterThanOrEqual(unsetAt + GRACE_MS);
      expect(open.body.data.successful).toEqual([a.identity.executorId]);
      expect(() => controller.ctx!.cluster.assertWritable()).not.toThrow();

      const types = (await controller.api().get(`/apis/v1/cluster/events?lastSyncTime=${set.body.data.updated - 1}`)).body.data.map((e: { type: string }) => e.type);
      expect(types.filter((t: string) => t.startsWith('MAINTENANCE'))).toEqual(['MAINTENANCE_MODE_REMOVED', 'MAINTENANCE_MODE_SET', 'MAINTENANCE_MODE_SET']);
      await ops.post(`/apis/v1/cluster/executors/${a.identity.executorId}/unblacklist`);
    });
  });
});
