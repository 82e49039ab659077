/**
 * Task persistence (PK sourceAppName + taskId). Batch writes are one transaction and a few
 * multi-row statements per 500 records, never a statement per record.
 */
import type { Kysely, Transaction } from 'kysely';
import { TERMINAL_TASK_STATES, type TaskRecord } from '../../api/task-types.ts';
import type { TaskQuery } from './store.ts';
import { RecordNotFoundError, rejectDuplicates } from './store-errors.ts';
import { checkTime, chunks, doc, docs, lastPerKey, pruneInBatches, taskKey, taskRow } from './store-rows.ts';
import type { StoreDatabase } from './store-tables.ts';
import { atomically } from './write-fence.ts';

type Db = Kysely<StoreDatabase>;

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
      await db.insertInto('tasks').values(rows).execute();
      return;
    }
    await atomically(db, async (trx) => {
      for (const slice of slices) await trx.insertInto('tasks').values(slice).execute();
    });
  });
}

export async function updateTask(db: Db | Transaction<StoreDatabase>, record: TaskRecord): Promise<void> {
  const { source_app_name, task_id, ...columns } = taskRow(record);
  const result = await db.updateTable('tasks').set(columns)
    .where('source_app_name', '=', source_app_name)
    .where('task_id', '=', task_id)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new RecordNotFoundError(`Task ${taskKey(record)} does not exist; nothing was updated`, [taskKey(record)]);
}

/**
 * Writes every record or none: checks that all exist, then upserts them in multi-row
 * statements (an upsert of a known-existing row is an update, and it batches where a plain
 * UPDATE cannot).
 */
export async function updateTasks(db: Db, records: readonly TaskRecord[]): Promise<void> {
  if (records.length === 0) return;
  if (records.length === 1) return updateTask(db, records[0]);
  const unique = lastPerKey(records, taskKey);
  await atomically(db, async (trx) => {
    for (const slice of chunks(unique)) {
      // Two single-column IN lists use the primary key well on both engines (a row-value IN
      // list of 1000 pairs plans poorly on PostgreSQL); they may match a few extra pairs,
      // which the exact check below ignores.
      const found = await trx.selectFrom('tasks').select(['source_app_name', 'task_id'])
        .where('source_app_name', 'in', [...new Set(slice.map((r) => r.sourceAppName))])
        .where('task_id', 'in', [...new Set(slice.map((r) => r.taskId))])
        .execute();
      const present = new Set(found.map((row) => `${row.source_app_name}/${row.task_id}`));
      const missing = slice.filter((r) => !present.has(taskKey(r))).map(taskKey);
      if (missing.length > 0) {
        const named = missing.length > 10 ? `${missing.slice(0, 10).join(', ')} and ${missing.length - 10} more` : missing.join(', ');
        throw new RecordNotFoundError(`Tasks ${named} do not exist; none of the ${records.length} updates were written`, missing);
      }
      await trx.insertInto('tasks').values(slice.map(taskRow))
        .onConflict((oc) => oc.columns(['source_app_name', 'task_id']).doUpdateSet((eb) => ({
          instance_id: eb.ref('excluded.instance_id'),
          state: eb.ref('excluded.state'),
          executor_id: eb.ref('excluded.executor_id'),
          parent_task_id: eb.ref('excluded.parent_task_id'),
          created: eb.ref('excluded.created'),
          updated: eb.ref('excluded.updated'),
          doc: eb.ref('excluded.doc'),
        })))
        .execute();
    }
  });
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
