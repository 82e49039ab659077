/**
 * Applications and their instance records. Instances are keyed by (appId, instanceId) and
 * listed in creation order; old (non-active) ones are pruned by age and by a per-app cap
 * (instance-table-queries.ts, shared with local services).
 */
import type { Kysely } from 'kysely';
import type { AppRecord, InstanceRecord } from '../../api/app-types.ts';
import {
  APP_INSTANCES, getInstanceRecord, listInstanceRecords, pruneInstanceRows, upsertInstanceRows,
} from './instance-table-queries.ts';
import type { InstanceQuery } from './store.ts';
import { RecordNotFoundError, rejectDuplicates } from './store-errors.ts';
import { appRow, doc, docs } from './store-rows.ts';
import type { StoreDatabase } from './store-tables.ts';
import { atomically } from './write-fence.ts';

type Db = Kysely<StoreDatabase>;

export async function insertApp(db: Db, record: AppRecord): Promise<void> {
  await rejectDuplicates(`App ${record.appId} already exists`, () => db.insertInto('apps').values(appRow(record)).execute());
}

export async function updateApp(db: Db, record: AppRecord): Promise<void> {
  const { app_id, ...columns } = appRow(record);
  const result = await db.updateTable('apps').set(columns).where('app_id', '=', app_id).executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new RecordNotFoundError(`App ${record.appId} does not exist; nothing was updated`, [record.appId]);
}

export async function getApp(db: Db, appId: string): Promise<AppRecord | undefined> {
  return doc<AppRecord>(await db.selectFrom('apps').select('doc').where('app_id', '=', appId).executeTakeFirst());
}

export async function listApps(db: Db): Promise<AppRecord[]> {
  return docs<AppRecord>(await db.selectFrom('apps').select('doc').orderBy('app_id').execute());
}

export async function deleteApp(db: Db, appId: string): Promise<void> {
  await atomically(db, async (trx) => {
    await trx.deleteFrom('instances').where('app_id', '=', appId).execute();
    await trx.deleteFrom('apps').where('app_id', '=', appId).execute();
  });
}


/** Inserts or replaces instance records; several in one transaction, a few statements. */
export async function upsertInstances(db: Db, records: readonly InstanceRecord[]): Promise<void> {
  await upsertInstanceRows(db, APP_INSTANCES, records);
}

export async function getInstance(db: Db, appId: string, instanceId: string): Promise<InstanceRecord | undefined> {
  return getInstanceRecord(db, APP_INSTANCES, appId, instanceId);
}

/** Filters combine with AND; an empty `states` list means no state filter. */
export async function listInstances(db: Db, query: InstanceQuery): Promise<InstanceRecord[]> {
  const { appId, ...rest } = query;
  return listInstanceRecords(db, APP_INSTANCES, { ownerId: appId, ...rest });
}

/**
 * Deletes non-active instances last updated before `before`, then, per app, every non-active
 * instance beyond the `keepPerApp` most recently updated ones. Active instances are never touched.
 */
export async function pruneInstances(db: Db, before: number, keepPerApp: number): Promise<number> {
  return pruneInstanceRows(db, APP_INSTANCES, before, keepPerApp, 'keepPerApp');
}
