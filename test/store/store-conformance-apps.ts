/** Conformance part: apps, instances and operations. */
import { describe, expect, it } from 'vitest';
import type { InstanceRecord } from '../../src/api/app-types.ts';
import type { OperationRecord } from '../../src/api/operation-types.ts';
import { RecordNotFoundError, StoreQueryError } from '../../src/controller/store/store-errors.ts';
import { DuplicateRecordError, type Store } from '../../src/controller/store/store.ts';
import { appRecord, instanceRecord, operationRecord, T0 } from './store-records.ts';

const ids = (instances: InstanceRecord[]): string[] => instances.map((i) => i.instanceId);
const opIds = (ops: OperationRecord[]): string[] => ops.map((o) => o.operationId);

export function appsConformance(current: () => Store): void {
  describe('apps', () => {
    it('inserts, rejects a duplicate appId, updates, lists in appId order', async () => {
      const store = current();
      await store.insertApp(appRecord({ appId: 'web-2' }));
      await store.insertApp(appRecord({ appId: 'api-1' }));
      const error = await store.insertApp(appRecord({ appId: 'web-2', state: 'RUNNING' })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DuplicateRecordError);
      expect((error as Error).message).toContain('web-2');
      expect((await store.getApp('web-2'))?.state).toBe('MONITORING');

      const running = appRecord({ appId: 'web-2', state: 'RUNNING', requiredInstances: 3, updated: T0 + 7 });
      await store.updateApp(running);
      expect(await store.getApp('web-2')).toEqual(running);
      expect(await store.getApp('nope-1')).toBeUndefined();
      expect((await store.listApps()).map((a) => a.appId)).toEqual(['api-1', 'web-2']);
      await expect(store.updateApp(appRecord({ appId: 'ghost-1' }))).rejects.toThrow(RecordNotFoundError);
      expect(await store.getApp('ghost-1')).toBeUndefined();
    });

    it('deletes an app with every instance record of it, and nothing else', async () => {
      const store = current();
      await store.insertApp(appRecord({ appId: 'web-1' }));
      await store.insertApp(appRecord({ appId: 'web-2' }));
      await store.upsertInstances([
        instanceRecord({ appId: 'web-1', instanceId: 'AI-a' }),
        instanceRecord({ appId: 'web-1', instanceId: 'AI-b', state: 'STOPPED' }),
        instanceRecord({ appId: 'web-2', instanceId: 'AI-c' }),
      ]);
      await store.deleteApp('web-1');
      await store.deleteApp('never-1');
      expect(await store.getApp('web-1')).toBeUndefined();
      expect(await store.listInstances({ appId: 'web-1' })).toEqual([]);
      expect(ids(await store.listInstances({}))).toEqual(['AI-c']);
      expect((await store.listApps()).map((a) => a.appId)).toEqual(['web-2']);
    });
  });

  describe('instances', () => {
    it('upserts one or many (replacing by key) and reads back whole records', async () => {
      const store = current();
      const first = instanceRecord({ instanceId: 'AI-1', events: [{ time: T0, type: 'Started', message: 'ok' }] });
      await store.upsertInstance(first);
      expect(await store.getInstance('web-1', 'AI-1')).toEqual(first);
      expect(await store.getInstance('web-2', 'AI-1')).toBeUndefined();
      const replaced = { ...first, state: 'STOPPED' as const, executorId: 'ex-9', updated: T0 + 3 };
      await store.upsertInstance(replaced);
      expect(await store.getInstance('web-1', 'AI-1')).toEqual(replaced);
      expect(await store.listInstances({ executorId: 'ex-9', states: ['STOPPED'] })).toEqual([replaced]);
      expect(await store.listInstances({ executorId: 'ex-1' })).toEqual([]);

      const many = Array.from({ length: 1050 }, (_, i) => instanceRecord({ instanceId: `AI-m${i}`, created: T0 + i }));
      await store.upsertInstances([...many, { ...many[0], state: 'UNHEALTHY' }]);
      await store.upsertInstances([]);
      expect(await store.listInstances({})).toHaveLength(1051);
      expect((await store.getInstance('web-1', 'AI-m0'))?.state).toBe('UNHEALTHY');
    });

    it('lists in creation order with filters and paging', async () => {
      const store = current();
      await store.upsertInstances([
        instanceRecord({ appId: 'web-1', instanceId: 'AI-3', created: T0 + 3, state: 'STOPPED' }),
        instanceRecord({ appId: 'web-2', instanceId: 'AI-1', created: T0 + 1, executorId: 'ex-2' }),
        instanceRecord({ appId: 'web-1', instanceId: 'AI-2', created: T0 + 2 }),
        instanceRecord({ appId: 'web-1', instanceId: 'AI-4', created: T0 + 4, state: 'UNHEALTHY' }),
      ]);
      expect(ids(await store.listInstances({}))).toEqual(['AI-1', 'AI-2', 'AI-3', 'AI-4']);
      expect(ids(await store.listInstances({ appId: 'web-1' }))).toEqual(['AI-2', 'AI-3', 'AI-4']);
      expect(ids(await store.listInstances({ appId: 'web-1', states: ['HEALTHY', 'UNHEALTHY'] }))).toEqual(['AI-2', 'AI-4']);
      expect(ids(await store.listInstances({ states: [] }))).toHaveLength(4);
      expect(ids(await store.listInstances({ executorId: 'ex-2' }))).toEqual(['AI-1']);
      expect(ids(await store.listInstances({ appId: 'web-1', offset: 1 }))).toEqual(['AI-3', 'AI-4']);
      expect(ids(await store.listInstances({ appId: 'web-1', offset: 1, limit: 1 }))).toEqual(['AI-3']);
      expect(ids(await store.listInstances({ limit: 2 }))).toEqual(['AI-1', 'AI-2']);
      expect(ids(await store.listInstances({ offset: 10 }))).toEqual([]);
      await expect(store.listInstances({ offset: -1 })).rejects.toThrow(StoreQueryError);
      await expect(store.listInstances({ limit: 1.5 })).rejects.toThrow(/limit must be a non-negative integer/);
    });

    it('prunes old non-active instances by age and beyond keepPerApp newest per app', async () => {
      const store = current();
      const records: InstanceRecord[] = [
        // web-1: two aged-out stopped ones, an old one still active, four recent stopped ones
        instanceRecord({ appId: 'web-1', instanceId: 'old-stopped', state: 'STOPPED', updated: T0 - 10 }),
        instanceRecord({ appId: 'web-1', instanceId: 'old-lost', state: 'LOST', updated: T0 - 1 }),
        instanceRecord({ appId: 'web-1', instanceId: 'old-healthy', state: 'HEALTHY', updated: T0 - 10 }),
        instanceRecord({ appId: 'web-1', instanceId: 'old-starting', state: 'STARTING', updated: T0 - 10 }),
        ...[1, 2, 3, 4].map((i) => instanceRecord({ appId: 'web-1', instanceId: `recent-${i}`, state: 'STOPPED', updated: T0 + i })),
        // web-2: two recent failed ones, under the cap
        instanceRecord({ appId: 'web-2', instanceId: 'w2-a', state: 'START_FAILED', updated: T0 + 1 }),
        instanceRecord({ appId: 'web-2', instanceId: 'w2-b', state: 'UNKNOWN', updated: T0 + 2 }),
        instanceRecord({ appId: 'web-2', instanceId: 'w2-at-cut', state: 'STOPPED', updated: T0 }),
      ];
      await store.upsertInstances(records);
      // Aged: old-stopped, old-lost (2). Cap 2: web-1 keeps recent-4, recent-3 (drops recent-2, recent-1);
      // web-2 keeps w2-b, w2-a (drops w2-at-cut).
      expect(await store.pruneInstances(T0, 2)).toBe(5);
      expect(ids(await store.listInstances({ appId: 'web-1' })).sort()).toEqual(['old-healthy', 'old-starting', 'recent-3', 'recent-4']);
      expect(ids(await store.listInstances({ appId: 'web-2' })).sort()).toEqual(['w2-a', 'w2-b']);
      expect(await store.pruneInstances(T0, 2)).toBe(0);
      expect(await store.pruneInstances(T0 - 1000, 0)).toBe(4);
      expect(ids(await store.listInstances({})).sort()).toEqual(['old-healthy', 'old-starting']);
      await expect(store.pruneInstances(T0, -1)).rejects.toThrow(/keepPerApp must be a non-negative integer/);
    });
  });

  describe('operations', () => {
    it('inserts, rejects a duplicate id, updates and reads whole records', async () => {
      const store = current();
      const op = operationRecord({ operationId: 'OP-a' });
      await store.insertOperation(op);
      await expect(store.insertOperation(op)).rejects.toThrow(DuplicateRecordError);
      const done = {
        ...op, state: 'COMPLETED' as const, finished: T0 + 9, updated: T0 + 9,
        progress: { total: 2, done: 2, failed: 0, inFlight: 0 }, checkpoint: { step: 2, targets: ['AI-1'] },
      };
      await store.updateOperation(done);
      expect(await store.getOperation('OP-a')).toEqual(done);
      expect(await store.getOperation('OP-none')).toBeUndefined();
      await expect(store.updateOperation(operationRecord({ operationId: 'OP-ghost' }))).rejects.toThrow(RecordNotFoundError);
    });

    it('saves many at once: inserts new ids, updates known ones, the last version of an id wins', async () => {
      const store = current();
      const known = operationRecord({ operationId: 'OP-known' });
      await store.insertOperation(known);
      const finished = { ...known, state: 'COMPLETED' as const, finished: T0 + 5, updated: T0 + 5 };
      const fresh = Array.from({ length: 700 }, (_, i) => operationRecord({ operationId: `OP-bulk-${i}`, created: T0 + i }));
      const later = { ...fresh[3], state: 'FAILED' as const, finished: T0 + 7, updated: T0 + 7 };
      // 702 rows: more than one statement's worth, so the batch is one transaction over several.
      await store.saveOperations([...fresh, finished, later]);
      expect(await store.getOperation('OP-known')).toEqual(finished);
      expect(await store.getOperation('OP-bulk-3')).toEqual(later);
      expect(await store.getOperation('OP-bulk-699')).toEqual(fresh[699]);
      expect((await store.listOperations({ states: ['QUEUED'] })).filter((op) => op.operationId.startsWith('OP-bulk-'))).toHaveLength(699);
      await store.saveOperations([]);
    });

    it('lists newest first with filters and paging', async () => {
      const store = current();
      await store.insertOperation(operationRecord({ operationId: 'OP-1', created: T0 + 1, type: 'CREATE', state: 'COMPLETED' }));
      await store.insertOperation(operationRecord({ operationId: 'OP-2', created: T0 + 2, type: 'SCALE', state: 'RUNNING' }));
      await store.insertOperation(operationRecord({
        operationId: 'OP-3', created: T0 + 3, type: 'CREATE', state: 'QUEUED', target: { kind: 'task', sourceAppName: 'batch', taskId: 't1' },
      }));
      await store.insertOperation(operationRecord({
        operationId: 'OP-4', created: T0 + 4, type: 'SCALE', state: 'FAILED', target: { kind: 'app', appId: 'api-1' },
      }));
      expect(opIds(await store.listOperations({}))).toEqual(['OP-4', 'OP-3', 'OP-2', 'OP-1']);
      expect(opIds(await store.listOperations({ appId: 'web-1' }))).toEqual(['OP-2', 'OP-1']);
      expect(opIds(await store.listOperations({ type: 'CREATE' }))).toEqual(['OP-3', 'OP-1']);
      expect(opIds(await store.listOperations({ states: ['QUEUED', 'RUNNING'] }))).toEqual(['OP-3', 'OP-2']);
      expect(opIds(await store.listOperations({ states: [] }))).toHaveLength(4);
      expect(opIds(await store.listOperations({ type: 'SCALE', appId: 'api-1', states: ['FAILED'] }))).toEqual(['OP-4']);
      expect(opIds(await store.listOperations({ limit: 2 }))).toEqual(['OP-4', 'OP-3']);
      expect(opIds(await store.listOperations({ offset: 2, limit: 1 }))).toEqual(['OP-2']);
      expect(opIds(await store.listOperations({ offset: 3 }))).toEqual(['OP-1']);
      await expect(store.listOperations({ limit: -5 })).rejects.toThrow(StoreQueryError);
    });

    it('prunes only finished operations that finished strictly before the cut-off', async () => {
      const store = current();
      await store.insertOperation(operationRecord({ operationId: 'done-old', state: 'COMPLETED', finished: T0 - 1 }));
      await store.insertOperation(operationRecord({ operationId: 'cancelled-old', state: 'CANCELLED', finished: T0 - 50 }));
      await store.insertOperation(operationRecord({ operationId: 'done-at-cut', state: 'FAILED', finished: T0 }));
      await store.insertOperation(operationRecord({ operationId: 'running-old', state: 'RUNNING', created: T0 - 100 }));
      await store.insertOperation(operationRecord({ operationId: 'queued', state: 'QUEUED', created: T0 - 100 }));
      expect(await store.pruneOperations(T0)).toBe(2);
      expect(opIds(await store.listOperations({})).sort()).toEqual(['done-at-cut', 'queued', 'running-old']);
      expect(await store.pruneOperations(T0)).toBe(0);
    });
  });
}
