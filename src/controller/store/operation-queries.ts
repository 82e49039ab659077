/** Operation records: listed newest first with paging; finished ones pruned by finish time. */
import type { Kysely } from 'kysely';
import { ACTIVE_OPERATION_STATES, type OperationRecord } from '../../api/operation-types.ts';
import type { OperationQuery } from './store.ts';
import { RecordNotFoundError, rejectDuplicates } from './store-errors.ts';
import { checkPaging, checkTime, chunks, doc, docs, lastPerKey, operationRow, pruneInBatches } from './store-rows.ts';
import { RowsStatement } from './compiled-statements.ts';
import type { OperationTable, StoreDatabase } from './store-tables.ts';
import { atomically } from './write-fence.ts';

type Db = Kysely<StoreDatabase>;

const OPERATION_COLUMNS = ['operation_id', 'type', 'app_id', 'state', 'created', 'updated', 'finished', 'doc'] as const;

/** The save of every task operation, compiled once per dialect and row count (compiled-statements.ts). */
const upsertRows = new RowsStatement<OperationTable>(OPERATION_COLUMNS, (db, rows) => db.insertInto('operations').values(rows)
  .onConflict((oc) => oc.column('operation_id').doUpdateSet((eb) => ({
    type: eb.ref('excluded.type'),
    app_id: eb.ref('excluded.app_id'),
    state: eb.ref('excluded.state'),
    created: eb.ref('excluded.created'),
    updated: eb.ref('excluded.updated'),
    finished: eb.ref('excluded.finished'),
    doc: eb.ref('excluded.doc'),
  }))));

/** Throws DuplicateRecordError when the operationId exists. */
export async function insertOperation(db: Db, record: OperationRecord): Promise<void> {
  await rejectDuplicates(`Operation ${record.operationId} already exists`,
    () => db.insertInto('operations').values(operationRow(record)).execute());
}

export async function updateOperation(db: Db, record: OperationRecord): Promise<void> {
  const { operation_id, ...columns } = operationRow(record);
  const result = await db.updateTable('operations').set(columns).where('operation_id', '=', operation_id).executeTakeFirst();
  if (result.numUpdatedRows === 0n) {
    throw new RecordNotFoundError(`Operation ${record.operationId} does not exist; nothing was updated`, [record.operationId]);
  }
}

/**
 * Inserts or updates every record in one transaction (group commit of task operations: a
 * burst of accepted and finished operations costs one commit, not one each).
 */
export async function saveOperations(db: Db, records: readonly OperationRecord[]): Promise<void> {
  if (records.length === 0) return;
  const unique = lastPerKey(records, (record) => record.operationId);
  const slices = chunks(unique);
  const write = async (trx: Db) => {
    for (const slice of slices) await upsertRows.run(trx, slice.map(operationRow));
  };
  // One statement is atomic on its own; several need a transaction.
  if (slices.length <= 1) await write(db);
  else await atomically(db, write);
}

export async function getOperation(db: Db, operationId: string): Promise<OperationRecord | undefined> {
  return doc<OperationRecord>(await db.selectFrom('operations').select('doc').where('operation_id', '=', operationId).executeTakeFirst());
}

/** Filters combine with AND; an empty `states` list means no state filter. Newest first. */
export async function listOperations(db: Db, query: OperationQuery): Promise<OperationRecord[]> {
  const { offset, limit } = checkPaging(query);
  let select = db.selectFrom('operations').select('doc');
  if (query.states?.length) select = select.where('state', 'in', query.states);
  if (query.appId !== undefined) select = select.where('app_id', '=', query.appId);
  if (query.type !== undefined) select = select.where('type', '=', query.type);
  select = select.orderBy('created', 'desc').orderBy('operation_id', 'desc');
  // SQLite cannot OFFSET without a LIMIT; a limit past any real count works on both engines.
  if (limit !== undefined || offset > 0) select = select.limit(limit ?? Number.MAX_SAFE_INTEGER);
  if (offset > 0) select = select.offset(offset);
  return docs<OperationRecord>(await select.execute());
}

/** Deletes operations that finished (not active, `finished` set) before `before`. */
export async function pruneOperations(db: Db, before: number): Promise<number> {
  const cutoff = checkTime('before', before);
  const expired = () => db.selectFrom('operations').where('finished', 'is not', null).where('finished', '<', cutoff)
    .where('state', 'not in', [...ACTIVE_OPERATION_STATES]);
  return pruneInBatches(async (limit) => {
    const rows = await expired().select('finished').orderBy('finished').limit(limit).execute();
    return rows.length === 0 ? undefined : Number(rows[rows.length - 1].finished);
  }, async (upTo) => {
    const result = await db.deleteFrom('operations')
      .where('finished', 'is not', null)
      // Only the batch's bound (an expired row's own time): a second bound on the column made
      // SQLite range the index by the cut-off and read every expired row per batch (task-queries.ts).
      .where('finished', '<=', upTo)
      .where('state', 'not in', [...ACTIVE_OPERATION_STATES])
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}
