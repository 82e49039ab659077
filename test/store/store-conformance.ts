/**
 * The Store conformance suite: every adapter must pass it unchanged. Call it from a test
 * file with a factory that opens a fresh, empty, migrated store; the suite closes each store
 * after its test. Split by noun into the `store-conformance-*.ts` parts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KyselyStore } from '../../src/controller/store/kysely-store.ts';
import { STORE_MIGRATIONS } from '../../src/controller/store/migrations/migration-provider.ts';
import { StoreQueryError } from '../../src/controller/store/store-errors.ts';
import type { Store } from '../../src/controller/store/store.ts';
import { appsConformance } from './store-conformance-apps.ts';
import { localServicesConformance } from './store-conformance-local-services.ts';
import { tasksConformance } from './store-conformance-tasks.ts';
import { clusterEvent, executorRecord, T0 } from './store-records.ts';

export type StoreFactory = () => Promise<Store>;

/** Gives each test a fresh store from `factory` (closed afterwards) through `current()`. */
export function freshStorePerTest(factory: StoreFactory): () => Store {
  let store: Store | undefined;
  beforeEach(async () => {
    store = await factory();
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  return () => {
    if (!store) throw new Error('store used outside a test');
    return store;
  };
}

/** Registers the whole conformance suite for one adapter. */
export function storeConformance(name: string, factory: StoreFactory): void {
  describe(`Store conformance: ${name}`, () => {
    const current = freshStorePerTest(factory);

    describe('migrations', () => {
      it('records every migration as applied, and re-running them is a no-op', async () => {
        const store = current() as KyselyStore;
        const before = await store.migrationStatus();
        expect(before.map((m) => m.name)).toEqual(Object.keys(STORE_MIGRATIONS).sort());
        expect(before.every((m) => m.executedAt instanceof Date)).toBe(true);
        await store.setClusterState({ state: 'MAINTENANCE', updated: T0 });
        await store.migrate();
        await store.migrate();
        const after = await store.migrationStatus();
        expect(after).toEqual(before);
        expect(await store.getClusterState()).toEqual({ state: 'MAINTENANCE', updated: T0 });
      });

      it('closes idempotently', async () => {
        const store = current();
        await store.close();
        await store.close();
      });
    });

    describe('probe', () => {
      it('is a write that leaves every record as it was', async () => {
        const store = current();
        await store.setClusterState({ state: 'MAINTENANCE', updated: T0 });
        await store.probe();
        await store.probe();
        expect(await store.getClusterState()).toEqual({ state: 'MAINTENANCE', updated: T0 });
      });
    });

    describe('instance-token keys', () => {
      it('lists keys oldest first, adds and deletes them by id', async () => {
        const store = current();
        expect(await store.listInstanceTokenKeys()).toEqual([]);
        await store.addInstanceTokenKey({ kid: 'k2', secret: 's2', created: T0 + 10 });
        await store.addInstanceTokenKey({ kid: 'k1', secret: 's1', created: T0 });
        await store.addInstanceTokenKey({ kid: 'k3', secret: 's3', created: T0 + 20 });
        expect((await store.listInstanceTokenKeys()).map((k) => k.kid)).toEqual(['k1', 'k2', 'k3']);
        await store.deleteInstanceTokenKeys(['k1', 'k3', 'unknown']);
        await store.deleteInstanceTokenKeys([]);
        expect(await store.listInstanceTokenKeys()).toEqual([{ kid: 'k2', secret: 's2', created: T0 + 10 }]);
      });
    });

    describe('cluster state', () => {
      it('is absent at first, then holds the last value set', async () => {
        const store = current();
        expect(await store.getClusterState()).toBeUndefined();
        await store.setClusterState({ state: 'MAINTENANCE', updated: T0 });
        await store.setClusterState({ state: 'NORMAL', updated: T0 + 5 });
        expect(await store.getClusterState()).toEqual({ state: 'NORMAL', updated: T0 + 5 });
      });
    });

    describe('executors', () => {
      it('upserts, reads, lists in id order, and deletes', async () => {
        const store = current();
        expect(await store.getExecutor('ex-1')).toBeUndefined();
        await store.upsertExecutor(executorRecord({ executorId: 'ex-2', hostname: 'h2' }));
        await store.upsertExecutor(executorRecord({ executorId: 'ex-1' }));
        await store.upsertExecutor(executorRecord({ executorId: 'ex-1', executorState: 'BLACKLISTED', lostAt: T0 + 9, updated: T0 + 9 }));
        expect(await store.getExecutor('ex-1')).toEqual(executorRecord({ executorId: 'ex-1', executorState: 'BLACKLISTED', lostAt: T0 + 9, updated: T0 + 9 }));
        expect((await store.listExecutors()).map((e) => [e.executorId, e.executorState])).toEqual([['ex-1', 'BLACKLISTED'], ['ex-2', 'ACTIVE']]);
        await store.deleteExecutor('ex-1');
        await store.deleteExecutor('ex-missing');
        expect((await store.listExecutors()).map((e) => e.executorId)).toEqual(['ex-2']);
      });
    });

    describe('events', () => {
      it('lists newest first, same-millisecond events in reverse append order', async () => {
        const store = current();
        await store.appendEvents([clusterEvent({ id: 'a', time: T0 + 1 }), clusterEvent({ id: 'b', time: T0 + 2 })]);
        await store.appendEvents([clusterEvent({ id: 'c', time: T0 + 2 }), clusterEvent({ id: 'd', time: T0 + 2 })]);
        await store.appendEvents([]);
        const events = await store.listEvents({});
        expect(events.map((e) => e.id)).toEqual(['d', 'c', 'b', 'a']);
        expect(events[3]).toEqual(clusterEvent({ id: 'a', time: T0 + 1 }));
      });

      it('filters by `after` (strictly greater), types and limit', async () => {
        const store = current();
        await store.appendEvents([
          clusterEvent({ id: 'e1', time: T0 + 1, type: 'APP_STATE_CHANGE' }),
          clusterEvent({ id: 'e2', time: T0 + 2, type: 'TASK_STATE_CHANGE' }),
          clusterEvent({ id: 'e3', time: T0 + 3, type: 'APP_STATE_CHANGE' }),
          clusterEvent({ id: 'e4', time: T0 + 4, type: 'EXECUTOR_LOST' }),
        ]);
        const ids = async (query: Parameters<Store['listEvents']>[0]) => (await store.listEvents(query)).map((e) => e.id);
        expect(await ids({ after: T0 + 2 })).toEqual(['e4', 'e3']);
        expect(await ids({ after: T0 + 4 })).toEqual([]);
        expect(await ids({ limit: 2 })).toEqual(['e4', 'e3']);
        expect(await ids({ limit: 0 })).toEqual([]);
        expect(await ids({ types: ['APP_STATE_CHANGE'] })).toEqual(['e3', 'e1']);
        expect(await ids({ types: [] })).toEqual(['e4', 'e3', 'e2', 'e1']);
        expect(await ids({ types: ['APP_STATE_CHANGE', 'TASK_STATE_CHANGE'], after: T0 + 1, limit: 1 })).toEqual(['e3']);
        await expect(store.listEvents({ limit: -1 })).rejects.toThrow(StoreQueryError);
        expect(await store.countEventsByType({})).toEqual({ APP_STATE_CHANGE: 2, TASK_STATE_CHANGE: 1, EXECUTOR_LOST: 1 });
        expect(await store.countEventsByType({ after: T0 + 1, types: ['APP_STATE_CHANGE', 'EXECUTOR_LOST', 'NO_SUCH_TYPE'] })).toEqual({ APP_STATE_CHANGE: 1, EXECUTOR_LOST: 1 });
        expect(await store.countEventsByType({ types: ['NO_SUCH_TYPE'] })).toEqual({});
        expect(await store.countEventsByType({ after: T0 + 4 })).toEqual({});
      });

      it('ignores a re-appended event id and prunes by time', async () => {
        const store = current();
        await store.appendEvents([clusterEvent({ id: 'x', time: T0 }), clusterEvent({ id: 'y', time: T0 + 10 })]);
        await store.appendEvents([clusterEvent({ id: 'x', time: T0 + 50, metadata: { changed: 'yes' } })]);
        expect((await store.listEvents({})).map((e) => [e.id, e.time])).toEqual([['y', T0 + 10], ['x', T0]]);
        expect(await store.pruneEvents(T0 + 10)).toBe(1);
        expect(await store.pruneEvents(T0 + 10)).toBe(0);
        expect((await store.listEvents({})).map((e) => e.id)).toEqual(['y']);
      });

      it('reads back events with UUID ids exactly as the bus made them, and skips a re-appended one', async () => {
        const store = current();
        const event = clusterEvent({
          id: '0f8c3b7e-5a41-4d2b-9a63-1c2d3e4f5a6b', time: T0 + 5, type: 'INSTANCE_STATE_CHANGE',
          metadata: { APP_ID: 'orders-3', INSTANCE_ID: 'AI-55d5876f-94ac-4c5d-a580-9c3b296add46', CREATED: T0, CURRENT_STATE: 'HEALTHY', ERROR: 'ünïcode\u0001' },
        });
        await store.appendEvents([event]);
        await store.appendEvents([{ ...event, time: T0 + 6 }]);
        const read = await store.listEvents({});
        expect(read.map((e) => JSON.stringify(e))).toEqual([JSON.stringify(event)]);
      });

      it('appends a large batch (several statements) completely', async () => {
        const store = current();
        const batch = Array.from({ length: 1234 }, (_, i) => clusterEvent({ id: `big-${i}`, time: T0 + i }));
        await store.appendEvents(batch);
        const events = await store.listEvents({ limit: 3 });
        expect(events.map((e) => e.id)).toEqual(['big-1233', 'big-1232', 'big-1231']);
        expect(await store.pruneEvents(T0 + 10_000)).toBe(1234);
      });
    });

    tasksConformance(current);
    appsConformance(current);
    localServicesConformance(current);
  });
}
