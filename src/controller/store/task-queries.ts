/**
 * Task persistence (PK sourceAppName + taskId). Batch writes are one transaction and a few
 * multi-row statements per 500 records, never a statement per record.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { TERMINAL_TASK_STATES, type TaskRecord } from '../../api/task-types.ts';
import type { TaskQuery } from './store.ts';
import { RecordNotFoundError, rejectDuplicates } from './store-errors.ts';
import { checkTime, chunks, doc, docs, lastPerKey, pruneInBatches, taskKey, taskRow } from './store-rows.ts';
import { RowsStatement, StatementTemplate } from './compiled-statements.ts';
import type { StoreDatabase, TaskTable } from './store-tables.ts';
import { atomically } from './write-fence.ts';

type Db = Kysely<StoreDatabase>;

const TASK_COLUMNS = ['source_app_name', 'task_id', 'instance_id', 'state', 'executor_id', 'parent_task_id', 'created', 'updated', 'doc'] as const;
/** What a save may change: everything but the key. */
const TASK_VALUE_COLUMNS = TASK_COLUMNS.slice(2) as Exclude<(typeof TASK_COLUMNS)[number], 'source_app_name' | 'task_id'>[];

// Every write of a task's life goes through these, compiled once per dialect and row count
// (compiled-statements.ts).
const insertRows = new RowsStatement<TaskTable>(TASK_COLUMNS, (db, rows) => db.insertInto('tasks').values(rows));

const updateOne = new StatementTemplate((db, _shape, slot) => {
  const columns: Record<string, string> = {};
  TASK_VALUE_COLUMNS.forEach((column, i) => { columns[column] = slot(i); });
  return db.updateTable('tasks').set(columns as Partial<TaskTable>)
    .where('source_app_name', '=', slot(TASK_VALUE_COLUMNS.length))
    .where('task_id', '=', slot(TASK_VALUE_COLUMNS.length + 1));
});

/**
 * The batched save: one UPDATE joined to the new rows as a VALUES list, so a batch costs one
 * statement and no read (an upsert needed a read first to refuse missing rows, and it does an
 * insert attempt per row). VALUES columns are `column1`, `column2`, … on both engines; the
 * bigint columns are cast because PostgreSQL types a VALUES column from its first row, where a
 * bound parameter is text. The rows updated tell whether any key was missing.
 */
const updateRows = new StatementTemplate((db, count, slot) => {
  const width = TASK_COLUMNS.length;
  const rows = Array.from({ length: count }, (_, r) => sql`(${sql.join(TASK_COLUMNS.map((column, c) => {
    const value = slot(r * width + c);
    return column === 'created' || column === 'updated' ? sql`CAST(${value} AS bigint)` : sql`${value}`;
  }))})`);
  const assignments = TASK_VALUE_COLUMNS.map((column) => sql`${sql.ref(column)} = v.${sql.raw(`column${TASK_COLUMNS.indexOf(column) + 1}`)}`);
  const query = sql`UPDATE tasks SET ${sql.join(assignments)} FROM (VALUES ${sql.join(rows)}) AS v
    WHERE tasks.source_app_name = v.column1 AND tasks.task_id = v.column2`;
  return { compile: () => query.compile(db) };
});

const TERMINAL_STATES = [...TERMINAL_TASK_STATES];

function duplicateMessage(records: readonly TaskRecord[]): string {
  return records.length === 1
    ? `Task ${taskKey(records[0])} already exists`
    : `One of the ${records.length} tasks (${records.slice(0, 10).map(taskKey).join(', ')}${records.length > 10 ? ', …' : ''}) already exists; none were inserted`;
}

export async function insertTasks(db: Db, records: readonly TaskRecord[]): Promise<void> {
  if (records.length === 0) return;
  const rows = records.map(taskRow);
  await rejectDuplicates(duplicateMessage(records), async () => {
    const slices = chunks(rows);
    if (slices.length === 1) {
      // One statement is atomic on its own; no transaction round trips needed.
      await insertRows.run(db, rows);
      return;
    }
    await atomically(db, async (trx) => {
      for (const slice of slices) await insertRows.run(trx, slice);
    });
  });
}

export async function updateTask(db: Db | Transaction<StoreDatabase>, record: TaskRecord): Promise<void> {
  const row = taskRow(record);
  const result = await updateOne.run(db, 1, [
    row.instance_id, row.state, row.executor_id, row.parent_task_id, row.created, row.updated, row.doc,
    row.source_app_name, row.task_id,
  ]);
  if (result.numAffectedRows === 0n) throw new RecordNotFoundError(`Task ${taskKey(record)} does not exist; nothing was updated`, [taskKey(record)]);
}

/** Writes every record or none: a record whose row is missing fails the whole batch. */
export async function updateTasks(db: Db, records: readonly TaskRecord[]): Promise<void> {
  if (records.length === 0) return;
  if (records.length === 1) return updateTask(db, records[0]);
  const unique = lastPerKey(records, taskKey);
  await atomically(db, async (trx) => {
    for (const slice of chunks(unique)) {
      const rows = slice.map(taskRow);
      const values = new Array<unknown>(rows.length * TASK_COLUMNS.length);
      rows.forEach((row, r) => TASK_COLUMNS.forEach((column, c) => { values[r * TASK_COLUMNS.length + c] = row[column]; }));
      const { numAffectedRows } = await updateRows.run(trx, rows.length, values);
      if (numAffectedRows !== BigInt(rows.length)) {
        // Thrown inside the transaction: what this batch already updated is rolled back.
        const missing = await missingKeys(trx, slice);
        const named = missing.length > 10 ? `${missing.slice(0, 10).join(', ')} and ${missing.length - 10} more` : missing.join(', ');
        throw new RecordNotFoundError(`Tasks ${named} do not exist; none of the ${records.length} updates were written`, missing);
      }
    }
  });
}

/** The keys of `records` that have no row (only when a batched save fell short). */
async function missingKeys(db: Db, records: readonly TaskRecord[]): Promise<string[]> {
  // Two single-column IN lists use the primary key well on both engines (a row-value IN list
  // of 1000 pairs plans poorly on PostgreSQL); they may match a few extra pairs, which the
  // exact check below ignores.
  const found = await db.selectFrom('tasks').select(['source_app_name', 'task_id'])
    .where('source_app_name', 'in', [...new Set(records.map((r) => r.sourceAppName))])
    .where('task_id', 'in', [...new Set(records.map((r) => r.taskId))])
    .execute();
  const present = new Set(found.map((row) => `${row.source_app_name}/${row.task_id}`));
  return records.filter((r) => !present.has(taskKey(r))).map(taskKey);
}

export async function getTask(db: Db, sourceAppName: string, taskId: string): Promise<TaskRecord | undefined> {
  const row = await db.selectFrom('tasks').select('doc')
    .where('source_app_name', '=', sourceAppName)
    .where('task_id', '=', taskId)
    .executeTakeFirst();
  return doc<TaskRecord>(row);
}

/** Filters combine with AND; an empty `states` list means no state filter. Ordered by creation. */
export async function listTasks(db: Db, query: TaskQuery): Promise<TaskRecord[]> {
  let select = db.selectFrom('tasks').select('doc');
  if (query.states?.length) select = select.where('state', 'in', query.states);
  if (query.executorId !== undefined) select = select.where('executor_id', '=', query.executorId);
  if (query.parentTaskId !== undefined) select = select.where('parent_task_id', '=', query.parentTaskId);
  if (query.sourceAppName !== undefined) select = select.where('source_app_name', '=', query.sourceAppName);
  const rows = await select.orderBy('created').orderBy('source_app_name').orderBy('task_id').execute();
  return docs<TaskRecord>(rows);
}

export async function deleteTask(db: Db, sourceAppName: string, taskId: string): Promise<boolean> {
  const result = await db.deleteFrom('tasks')
    .where('source_app_name', '=', sourceAppName)
    .where('task_id', '=', taskId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function pruneTasks(db: Db, before: number): Promise<number> {
  const cutoff = checkTime('before', before);
  return pruneInBatches(async (limit) => {
    // The `limit`-th oldest expired `updated` (or the newest, when fewer are left). Asked state by
    // state, each an ordered range of the (state, updated) index read no further than `limit`
    // rows: with `state IN (…)` the index is not in `updated` order, so SQLite read every expired
    // row and sorted them for each batch — 35 ms a batch against a million, which made the batches
    // small and the sweep of a million take minutes.
    const oldest: number[] = [];
    for (const state of TERMINAL_STATES) {
      const rows = await db.selectFrom('tasks').select('updated').where('state', '=', state).where('updated', '<', cutoff)
        .orderBy('updated').limit(limit).execute();
      for (const row of rows) oldest.push(Number(row.updated));
    }
    if (oldest.length === 0) return undefined;
    oldest.sort((a, b) => a - b);
    return oldest[Math.min(limit, oldest.length) - 1];
  }, async (upTo) => {
    // `upTo` is an expired row's own time, so `<= upTo` alone keeps the cut-off. Both bounds on
    // the one column made SQLite range the index by the cut-off only and filter the rest: every
    // batch read every expired row (22 ms for a hundred rows out of 300,000).
    const result = await db.deleteFrom('tasks').where('state', 'in', TERMINAL_STATES).where('updated', '<=', upTo).executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}
