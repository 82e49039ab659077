/** Conformance part: local services and their instance records. */
import { describe, expect, it } from 'vitest';
import type { InstanceRecord } from '../../src/api/app-types.ts';
import type { LocalServiceRecord } from '../../src/api/localservice-types.ts';
import { RecordNotFoundError } from '../../src/controller/store/store-errors.ts';
import { DuplicateRecordError, type Store } from '../../src/controller/store/store.ts';
import { appRecord, instanceRecord, T0 } from './store-records.ts';

const ids = (instances: InstanceRecord[]): string[] => instances.map((i) => i.instanceId);

function serviceRecord(overrides: Partial<LocalServiceRecord> = {}): LocalServiceRecord {
  const serviceId = overrides.serviceId ?? 'agent-1';
  const { exposureSpec: _exposure, ...spec } = appRecord({ appId: serviceId }).spec;
  return {
    serviceId, spec: { ...spec, placementPolicy: { type: 'LOCAL', hostLevel: false } }, instancesPerHost: 2,
    activationState: 'INACTIVE', state: 'INACTIVE', created: T0, updated: T0, createdBy: 'admin', ...overrides,
  };
}

const siRecord = (serviceId: string, instanceId: string, overrides: Partial<InstanceRecord> = {}): InstanceRecord =>
  instanceRecord({ appId: serviceId, appName: serviceId.replace(/-\d+$/, ''), instanceId, ...overrides });

export function localServicesConformance(current: () => Store): void {
  describe('local services', () => {
    it('inserts, rejects a duplicate serviceId, updates, lists in serviceId order', async () => {
      const store = current();
      await store.insertLocalService(serviceRecord({ serviceId: 'agent-2' }));
      await store.insertLocalService(serviceRecord({ serviceId: 'logs-1' }));
      const error = await store.insertLocalService(serviceRecord({ serviceId: 'agent-2' })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DuplicateRecordError);
      expect((error as Error).message).toBe('Local service agent-2 already exists');
      const active = serviceRecord({ serviceId: 'agent-2', activationState: 'ACTIVE', state: 'ACTIVE', instancesPerHost: 3, updated: T0 + 9 });
      await store.updateLocalService(active);
      expect(await store.getLocalService('agent-2')).toEqual(active);
      expect(await store.getLocalService('nope-1')).toBeUndefined();
      expect((await store.listLocalServices()).map((s) => s.serviceId)).toEqual(['agent-2', 'logs-1']);
      await expect(store.updateLocalService(serviceRecord({ serviceId: 'ghost-1' }))).rejects.toThrow(RecordNotFoundError);
    });

    it('keeps its instances apart from application instances of the same id', async () => {
      const store = current();
      await store.insertApp(appRecord({ appId: 'agent-1' }));
      await store.insertLocalService(serviceRecord({ serviceId: 'agent-1' }));
      await store.upsertInstances([instanceRecord({ appId: 'agent-1', instanceId: 'AI-1' })]);
      await store.upsertLocalServiceInstances([siRecord('agent-1', 'SI-1', { executorId: 'ex-1' })]);
      expect(ids(await store.listInstances({ appId: 'agent-1' }))).toEqual(['AI-1']);
      expect(ids(await store.listLocalServiceInstances({ serviceId: 'agent-1' }))).toEqual(['SI-1']);
      expect(await store.getLocalServiceInstance('agent-1', 'AI-1')).toBeUndefined();
      expect((await store.getLocalServiceInstance('agent-1', 'SI-1'))?.executorId).toBe('ex-1');
      await store.deleteLocalService('agent-1');
      expect(await store.getLocalService('agent-1')).toBeUndefined();
      expect(await store.listLocalServiceInstances({})).toEqual([]);
      expect(ids(await store.listInstances({}))).toEqual(['AI-1']);
    });

    it('upserts many instances, lists with filters and paging in creation order', async () => {
      const store = current();
      const many = Array.from({ length: 620 }, (_, i) => siRecord('agent-1', `SI-m${i}`, { created: T0 + 10 + i }));
      await store.upsertLocalServiceInstances([
        ...many,
        siRecord('agent-1', 'SI-b', { created: T0 + 2, state: 'STOPPED', executorId: 'ex-2' }),
        siRecord('logs-1', 'SI-a', { created: T0 + 1, executorId: 'ex-2' }),
        { ...many[0], state: 'UNHEALTHY' },
      ]);
      expect(await store.listLocalServiceInstances({})).toHaveLength(622);
      expect((await store.getLocalServiceInstance('agent-1', 'SI-m0'))?.state).toBe('UNHEALTHY');
      expect(ids(await store.listLocalServiceInstances({ executorId: 'ex-2' }))).toEqual(['SI-a', 'SI-b']);
      expect(ids(await store.listLocalServiceInstances({ serviceId: 'agent-1', states: ['STOPPED', 'UNHEALTHY'] }))).toEqual(['SI-b', 'SI-m0']);
      expect(ids(await store.listLocalServiceInstances({ offset: 1, limit: 2 }))).toEqual(['SI-b', 'SI-m0']);
    });

    it('prunes old instances by age and beyond the per-service cap, never active ones', async () => {
      const store = current();
      await store.upsertLocalServiceInstances([
        siRecord('agent-1', 'SI-old', { state: 'STOPPED', updated: T0 }),
        siRecord('agent-1', 'SI-live', { state: 'HEALTHY', updated: T0 }),
        siRecord('agent-1', 'SI-s1', { state: 'STOPPED', updated: T0 + 100 }),
        siRecord('agent-1', 'SI-s2', { state: 'LOST', updated: T0 + 200 }),
        siRecord('logs-1', 'SI-l1', { state: 'STOPPED', updated: T0 + 100 }),
      ]);
      expect(await store.pruneLocalServiceInstances(T0 + 50, 1)).toBe(2);
      expect(ids(await store.listLocalServiceInstances({})).sort()).toEqual(['SI-l1', 'SI-live', 'SI-s2']);
    });
  });
}
