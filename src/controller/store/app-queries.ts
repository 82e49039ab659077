/**
 * Applications and their instance records. Instances are keyed by (appId, instanceId) and
 * listed in creation order; old (non-active) ones are pruned by age and by a per-app cap.
 */
import { sql, type Kysely } from 'kysely';
import { ACTIVE_INSTANCE_STATES, type AppRecord, type InstanceRecord } from '../../api/app-types.ts';
import type { InstanceQuery } from './store.ts';
import { RecordNotFoundError, rejectDuplicates } from './store-errors.ts';
import {
  appRow, checkCount, checkPaging, checkTime, chunks, doc, docs, instanceRow, lastPerKey, ROWS_PER_STATEMENT,
} from './store-rows.ts';
import type { StoreDatabase } from './store-tables.ts';

type Db = Kysely<StoreDatabase>;

const ACTIVE_STATES = [...ACTIVE_INSTANCE_STATES];

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
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('instances').where('app_id', '=', appId).execute();
    await trx.deleteFrom('apps').where('app_id', '=', appId).execute();
  });
}

const instanceKey = (record: InstanceRecord): string => `${record.appId}/${record.instanceId}`;

/** Inserts or replaces instance records; several in one transaction, a few statements. */
export async function upsertInstances(db: Db, records: readonly InstanceRecord[]): Promise<void> {
  if (records.length === 0) return;
  const rows = lastPerKey(records, instanceKey).map(instanceRow);
  const write = async (trx: Db): Promise<void> => {
    for (const slice of chunks(rows)) {
      await trx.insertInto('instances').values(slice)
        .onConflict((oc) => oc.columns(['app_id', 'instance_id']).doUpdateSet((eb) => ({
          state: eb.ref('excluded.state'),
          executor_id: eb.ref('excluded.executor_id'),
          created: eb.ref('excluded.created'),
          updated: eb.ref('excluded.updated'),
          doc: eb.ref('excluded.doc'),
        })))
        .execute();
    }
  };
  // One statement is atomic by itself; more need a transaction to stay all-or-nothing.
  if (rows.length <= ROWS_PER_STATEMENT) await write(db);
  else await db.transaction().execute(write);
}

export async function getInstance(db: Db, appId: string, instanceId: string): Promise<InstanceRecord | undefined> {
  const row = await db.selectFrom('instances').select('doc')
    .where('app_id', '=', appId)
    .where('instance_id', '=', instanceId)
    .executeTakeFirst();
  return doc<InstanceRecord>(row);
}

/** Filters combine with AND; an empty `states` list means no state filter. */
export async function listInstances(db: Db, query: InstanceQuery): Promise<InstanceRecord[]> {
  const { offset, limit } = checkPaging(query);
  let select = db.selectFrom('instances').select('doc');
  if (query.appId !== undefined) select = select.where('app_id', '=', query.appId);
  if (query.states?.length) select = select.where('state', 'in', query.states);
  if (query.executorId !== undefined) select = select.where('executor_id', '=', query.executorId);
  select = select.orderBy('created').orderBy('app_id').orderBy('instance_id');
  // SQLite cannot OFFSET without a LIMIT; a limit past any real count works on both engines.
  if (limit !== undefined || offset > 0) select = select.limit(limit ?? Number.MAX_SAFE_INTEGER);
  if (offset > 0) select = select.offset(offset);
  return docs<InstanceRecord>(await select.execute());
}

/**
 * Deletes non-active instances last updated before `before`, then, per app, every non-active
 * instance beyond the `keepPerApp` most recently updated ones. Active instances are never touched.
 */
export async function pruneInstances(db: Db, before: number, keepPerApp: number): Promise<number> {
  checkTime('before', before);
  checkCount('keepPerApp', keepPerApp);
  return db.transaction().execute(async (trx) => {
    const aged = await trx.deleteFrom('instances')
      .where('state', 'not in', ACTIVE_STATES)
      .where('updated', '<', before)
      .executeTakeFirst();
    const ranked = trx.selectFrom('instances')
      .select((eb) => [
        'app_id', 'instance_id',
        eb.fn.agg<number>('row_number').over((over) => over.partitionBy('app_id').orderBy('updated', 'desc').orderBy('instance_id', 'desc')).as('rank'),
      ])
      .where('state', 'not in', ACTIVE_STATES)
      .as('ranked');
    const beyondCap = trx.selectFrom(ranked).select(['ranked.app_id', 'ranked.instance_id']).where('ranked.rank', '>', keepPerApp);
    // Kysely cannot type a row-value IN (subquery); the SQL is portable (SQLite ≥ 3.15, PostgreSQL).
    const surplus = await trx.deleteFrom('instances')
      .where(sql<boolean>`(${sql.ref('app_id')}, ${sql.ref('instance_id')}) in (${beyondCap})`)
      .executeTakeFirst();
    return Number(aged.numDeletedRows) + Number(surplus.numDeletedRows);
  });
}
