/**
 * The lease and the write fence on a real PostgreSQL (docs/ha.md): two controllers' stores on
 * one throwaway schema; leadership moves by expiry; the deposed holder's fenced writes fail
 * with the not-leader error and change nothing, whichever write it is.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { NotLeaderError } from '../../src/common/errors.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { openStore } from '../../src/controller/store/open-store.ts';
import type { Store } from '../../src/controller/store/store.ts';
import { PostgresSchemas } from '../store/postgres-schemas.ts';
import { appRecord, clusterEvent, executorRecord, instanceRecord, operationRecord, taskRecord } from '../store/store-records.ts';
import { waitFor } from '../helpers/wait-for.ts';

const schemas = new PostgresSchemas('fence');
const stores: Store[] = [];
afterAll(async () => {
  for (const store of stores) await store.close();
  await schemas.dropAll();
});

async function open(url: string): Promise<Store> {
  const store = await openStore(url, { logger: silentLogger, leaderLeaseMs: 600 });
  stores.push(store);
  return store;
}

async function counts(index: number): Promise<Record<string, number>> {
  const name = schemas.name(index);
  const tables = ['tasks', 'apps', 'instances', 'operations', 'events', 'executors', 'cluster_state'];
  const rows = await schemas.query<{ t: string; n: string }>(tables.map((t) => `SELECT '${t}' AS t, count(*) AS n FROM ${name}.${t}`).join(' UNION ALL '));
  return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)]));
}

describe('leader lease and write fence (PostgreSQL)', () => {
  it('one holder at a time, a higher epoch for every new holder, the deposed holder writes nothing', async () => {
    const url = schemas.url();
    const a = await open(url);
    const b = await open(url);
    const first = await a.lease!.tryAcquire('node-a', 'http://a:4000', 600);
    expect(first).toMatchObject({ acquired: true, epoch: 1 });
    const refused = await b.lease!.tryAcquire('node-b', 'http://b:4000', 600);
    expect(refused).toMatchObject({ acquired: false, current: { holder: 'node-a', holderUrl: 'http://a:4000', epoch: 1 } });
    expect(await a.lease!.renew('node-a', 1, 600)).toBe(true);

    const aWrites = a.withFence!({ holder: 'node-a', epoch: 1 });
    await aWrites.insertApp(appRecord({ appId: 'kept' }));
    await aWrites.insertTask(taskRecord({ taskId: 'kept' }));

    // a stops renewing (paused); once the database's clock says the lease expired, b takes it.
    const second = await waitFor(async () => {
      const outcome = await b.lease!.tryAcquire('node-b', 'http://b:4000', 60_000);
      return outcome.acquired ? outcome : undefined;
    }, { timeoutMs: 10_000, intervalMs: 50, message: 'b to acquire the expired lease' });
    expect(second).toMatchObject({ epoch: 2, previous: { holder: 'node-a', epoch: 1 } });
    expect(await a.lease!.renew('node-a', 1, 600)).toBe(false);

    const before = await counts(0);
    const stale: [string, () => Promise<unknown>][] = [
      ['insertTask', () => aWrites.insertTask(taskRecord({ taskId: 'late' }))],
      ['insertTasks', () => aWrites.insertTasks([taskRecord({ taskId: 'late-1' }), taskRecord({ taskId: 'late-2' })])],
      ['updateTask', () => aWrites.updateTask(taskRecord({ taskId: 'kept', state: 'STOPPED' }))],
      ['insertApp', () => aWrites.insertApp(appRecord({ appId: 'late' }))],
      ['updateApp', () => aWrites.updateApp(appRecord({ appId: 'kept', state: 'SCALING_REQUESTED' }))],
      ['deleteApp', () => aWrites.deleteApp('kept')],
      ['upsertInstances', () => aWrites.upsertInstances([instanceRecord({ appId: 'kept' })])],
      ['saveOperations', () => aWrites.saveOperations([operationRecord()])],
      ['appendEvents', () => aWrites.appendEvents([clusterEvent()])],
      ['upsertExecutor', () => aWrites.upsertExecutor(executorRecord())],
      ['setClusterState', () => aWrites.setClusterState({ state: 'MAINTENANCE', updated: Date.now() } as never)],
      ['pruneTasks', () => aWrites.pruneTasks(Date.now() + 1e9)],
    ];
    for (const [name, write] of stale) await expect(write(), name).rejects.toBeInstanceOf(NotLeaderError);
    expect(await counts(0)).toEqual(before);
    const kept = taskRecord({ taskId: 'kept' });
    expect((await b.getTask(kept.sourceAppName, 'kept'))?.state).toBe(kept.state);

    // The new holder writes; a follower's view (refuse) writes nothing at all.
    const bWrites = b.withFence!({ holder: 'node-b', epoch: 2 });
    await bWrites.insertApp(appRecord({ appId: 'by-b' }));
    await expect(b.withFence!('refuse').insertApp(appRecord({ appId: 'never' }))).rejects.toBeInstanceOf(NotLeaderError);
    expect((await b.listApps()).map((app) => app.appId).sort()).toEqual(['by-b', 'kept']);
  });

  it('a released lease is taken at once, and the successor is told no one held it', async () => {
    const url = schemas.url();
    const a = await open(url);
    const b = await open(url);
    const first = await a.lease!.tryAcquire('node-a', 'http://a:4000', 60_000);
    expect(first.acquired).toBe(true);
    await a.lease!.release('node-a', 1);
    const next = await b.lease!.tryAcquire('node-b', 'http://b:4000', 60_000);
    expect(next).toMatchObject({ acquired: true, epoch: 2, previous: { holder: '' } });
  });
});
