/**
 * The queries both instance tables share. `instances` (applications) and
 * `local_service_instances` have the same columns but the owner's — `app_id` or `service_id` —
 * so one upsert, lookup, list and prune serve both: keyed by (owner, instanceId), listed in
 * creation order, old (non-active) records pruned by age and by a per-owner cap.
 */
import { sql, type Kysely } from 'kysely';
import { ACTIVE_INSTANCE_STATES, type InstanceRecord, type InstanceState } from '../../api/app-types.ts';
import { RowsStatement } from './compiled-statements.ts';
import { checkCount, checkPaging, checkTime, chunks, doc, docs, instanceRow, lastPerKey } from './store-rows.ts';
import type { InstanceTable, StoreDatabase } from './store-tables.ts';
import { atomically } from './write-fence.ts';

type Db = Kysely<StoreDatabase>;

/** An instance table and the name of its owner column. */
export interface InstanceTableName {
  table: 'instances' | 'local_service_instances';
  owner: 'app_id' | 'service_id';
}

export const APP_INSTANCES: InstanceTableName = { table: 'instances', owner: 'app_id' };
export const LOCAL_SERVICE_INSTANCES: InstanceTableName = { table: 'local_service_instances', owner: 'service_id' };

/** Filters combine with AND; an empty `states` list means no state filter. */
export interface OwnedInstanceQuery {
  ownerId?: string;
  states?: InstanceState[];
  executorId?: string;
  offset?: number;
  limit?: number;
}

const ACTIVE_STATES = [...ACTIVE_INSTANCE_STATES];

/**
 * Kysely checks table and column names against one table's type: the queries below are typed as
 * `instances`' (the columns are the same) and run with the real table's names.
 */
function typedAsAppInstances(name: InstanceTableName): { table: 'instances'; owner: 'app_id' } {
  return name as { table: 'instances'; owner: 'app_id' };
}

/** The row of a record; the record's `appId` is its owner (a local service's id for its instances). */
function rowOf(name: InstanceTableName, record: InstanceRecord): InstanceTable {
  const { app_id: ownerId, ...columns } = instanceRow(record);
  return { [name.owner]: ownerId, ...columns } as InstanceTable;
}

const instanceKey = (record: InstanceRecord): string => `${record.appId}/${record.instanceId}`;

/**
 * The upsert of `name`'s rows. The columns are in `rowOf`'s order (owner first), the order
 * Kysely's `.values(rows)` took them in, so the SQL is the same text it compiled per call.
 */
function upsertStatement(name: InstanceTableName): RowsStatement<InstanceTable> {
  const { table, owner } = typedAsAppInstances(name);
  const columns = [owner, 'instance_id', 'state', 'executor_id', 'created', 'updated', 'doc'] as const;
  return new RowsStatement<InstanceTable>(columns, (db, rows) => db.insertInto(table).values(rows)
    .onConflict((oc) => oc.columns([owner, 'instance_id']).doUpdateSet((eb) => ({
      state: eb.ref('excluded.state'),
      executor_id: eb.ref('excluded.executor_id'),
      created: eb.ref('excluded.created'),
      updated: eb.ref('excluded.updated'),
      doc: eb.ref('excluded.doc'),
    }))));
}

// Every instance transition on the placement path is saved through these, compiled once per
// dialect and row count (compiled-statements.ts) rather than rebuilt per batch.
const APP_INSTANCE_UPSERT = upsertStatement(APP_INSTANCES);
const LOCAL_SERVICE_INSTANCE_UPSERT = upsertStatement(LOCAL_SERVICE_INSTANCES);

/** The compiled upsert of `name`'s rows (exported for the tests that compare its SQL with Kysely's). */
export function instanceUpsert(name: InstanceTableName): RowsStatement<InstanceTable> {
  return name.table === APP_INSTANCES.table ? APP_INSTANCE_UPSERT : LOCAL_SERVICE_INSTANCE_UPSERT;
}

/** Inserts or replaces instance records; several in one transaction, a few statements. */
export async function upsertInstanceRows(db: Db, name: InstanceTableName, records: readonly InstanceRecord[]): Promise<void> {
  if (records.length === 0) return;
  const upsert = instanceUpsert(name);
  const rows = lastPerKey(records, instanceKey).map((record) => rowOf(name, record));
  const slices = chunks(rows);
  const write = async (trx: Db): Promise<void> => {
    for (const slice of slices) await upsert.run(trx, slice);
  };
  // One statement is atomic by itself; more need a transaction to stay all-or-nothing.
  if (slices.length <= 1) await write(db);
  else await atomically(db, write);
}

export async function getInstanceRecord(db: Db, name: InstanceTableName, ownerId: string, instanceId: string): Promise<InstanceRecord | undefined> {
  const { table, owner } = typedAsAppInstances(name);
  const row = await db.selectFrom(table).select('doc')
    .where(owner, '=', ownerId)
    .where('instance_id', '=', instanceId)
    .executeTakeFirst();
  return doc<InstanceRecord>(row);
}

/** Ordered by `created`, then owner and instance id. */
export async function listInstanceRecords(db: Db, name: InstanceTableName, query: OwnedInstanceQuery): Promise<InstanceRecord[]> {
  const { table, owner } = typedAsAppInstances(name);
  const { offset, limit } = checkPaging(query);
  let select = db.selectFrom(table).select('doc');
  if (query.ownerId !== undefined) select = select.where(owner, '=', query.ownerId);
  if (query.states?.length) select = select.where('state', 'in', query.states);
  if (query.executorId !== undefined) select = select.where('executor_id', '=', query.executorId);
  select = select.orderBy('created').orderBy(owner).orderBy('instance_id');
  // SQLite cannot OFFSET without a LIMIT; a limit past any real count works on both engines.
  if (limit !== undefined || offset > 0) select = select.limit(limit ?? Number.MAX_SAFE_INTEGER);
  if (offset > 0) select = select.offset(offset);
  return docs<InstanceRecord>(await select.execute());
}

/**
 * Deletes non-active instances last updated before `before`, then, per owner, every non-active
 * instance beyond the `keepPerOwner` most recently updated ones. Active instances are never
 * touched. `keepName` names the cap in the error a bad value gets.
 */
export async function pruneInstanceRows(db: Db, name: InstanceTableName, before: number, keepPerOwner: number, keepName: string): Promise<number> {
  const { table, owner } = typedAsAppInstances(name);
  checkTime('before', before);
  checkCount(keepName, keepPerOwner);
  return atomically(db, async (trx) => {
    const aged = await trx.deleteFrom(table)
      .where('state', 'not in', ACTIVE_STATES)
      .where('updated', '<', before)
      .executeTakeFirst();
    const ranked = trx.selectFrom(table)
      .select((eb) => [
        owner, 'instance_id',
        eb.fn.agg<number>('row_number').over((over) => over.partitionBy(owner).orderBy('updated', 'desc').orderBy('instance_id', 'desc')).as('rank'),
      ])
      .where('state', 'not in', ACTIVE_STATES)
      .as('ranked');
    const beyondCap = trx.selectFrom(ranked).select([`ranked.${owner}`, 'ranked.instance_id']).where('ranked.rank', '>', keepPerOwner);
    // Kysely cannot type a row-value IN (subquery); the SQL is portable (SQLite ≥ 3.15, PostgreSQL).
    const surplus = await trx.deleteFrom(table)
      .where(sql<boolean>`(${sql.ref(owner)}, ${sql.ref('instance_id')}) in (${beyondCap})`)
      .executeTakeFirst();
    return Number(aged.numDeletedRows) + Number(surplus.numDeletedRows);
  });
}
