/**
 * Local services and their instance records (docs/localservices.md). Instances are keyed by
 * (serviceId, instanceId), listed in creation order; old (non-active) ones are pruned by age and
 * by a per-service cap, by the queries application instances use (instance-table-queries.ts).
 */
import type { Kysely } from 'kysely';
import type { LocalServiceInstanceRecord, LocalServiceRecord } from '../../api/localservice-types.ts';
import {
  LOCAL_SERVICE_INSTANCES, getInstanceRecord, listInstanceRecords, pruneInstanceRows, upsertInstanceRows,
} from './instance-table-queries.ts';
import type { LocalServiceInstanceQuery } from './store.ts';
import { RecordNotFoundError, rejectDuplicates } from './store-errors.ts';
import { doc, docs } from './store-rows.ts';
import type { LocalServiceTable, StoreDatabase } from './store-tables.ts';
import { atomically } from './write-fence.ts';

type Db = Kysely<StoreDatabase>;

function serviceRow(record: LocalServiceRecord): LocalServiceTable {
  return {
    service_id: record.serviceId, state: record.state, created: Math.trunc(record.created), updated: Math.trunc(record.updated),
    doc: JSON.stringify(record),
  };
}

export async function insertLocalService(db: Db, record: LocalServiceRecord): Promise<void> {
  await rejectDuplicates(`Local service ${record.serviceId} already exists`, () => db.insertInto('local_services').values(serviceRow(record)).execute());
}

export async function updateLocalService(db: Db, record: LocalServiceRecord): Promise<void> {
  const { service_id, ...columns } = serviceRow(record);
  const result = await db.updateTable('local_services').set(columns).where('service_id', '=', service_id).executeTakeFirst();
  if (result.numUpdatedRows === 0n) {
    throw new RecordNotFoundError(`Local service ${record.serviceId} does not exist; nothing was updated`, [record.serviceId]);
  }
}

export async function getLocalService(db: Db, serviceId: string): Promise<LocalServiceRecord | undefined> {
  return doc<LocalServiceRecord>(await db.selectFrom('local_services').select('doc').where('service_id', '=', serviceId).executeTakeFirst());
}

export async function listLocalServices(db: Db): Promise<LocalServiceRecord[]> {
  return docs<LocalServiceRecord>(await db.selectFrom('local_services').select('doc').orderBy('service_id').execute());
}

/** Deletes the service and every instance record of it (DESTROY: the id can be used again). */
export async function deleteLocalService(db: Db, serviceId: string): Promise<void> {
  await atomically(db, async (trx) => {
    await trx.deleteFrom('local_service_instances').where('service_id', '=', serviceId).execute();
    await trx.deleteFrom('local_services').where('service_id', '=', serviceId).execute();
  });
}


/** Inserts or replaces instance records (their `appId` is the service's id). */
export async function upsertLocalServiceInstances(db: Db, records: readonly LocalServiceInstanceRecord[]): Promise<void> {
  await upsertInstanceRows(db, LOCAL_SERVICE_INSTANCES, records);
}

export async function getLocalServiceInstance(db: Db, serviceId: string, instanceId: string): Promise<LocalServiceInstanceRecord | undefined> {
  return getInstanceRecord(db, LOCAL_SERVICE_INSTANCES, serviceId, instanceId);
}

/** Filters combine with AND; an empty `states` list means no state filter. Ordered by `created`. */
export async function listLocalServiceInstances(db: Db, query: LocalServiceInstanceQuery): Promise<LocalServiceInstanceRecord[]> {
  const { serviceId, ...rest } = query;
  return listInstanceRecords(db, LOCAL_SERVICE_INSTANCES, { ownerId: serviceId, ...rest });
}

/**
 * Deletes non-active instances last updated before `before`, then, per service, every non-active
 * instance beyond the `keepPerService` most recently updated ones.
 */
export async function pruneLocalServiceInstances(db: Db, before: number, keepPerService: number): Promise<number> {
  return pruneInstanceRows(db, LOCAL_SERVICE_INSTANCES, before, keepPerService, 'keepPerService');
}
