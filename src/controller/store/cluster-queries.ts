/** Cluster state (a single row), executor records and the event log. */
import type { Kysely } from 'kysely';
import type { ClusterEvent, ClusterStateData, ExecutorRecord } from '../../api/cluster-types.ts';
import { eventTypeCode, eventTypeOf, packEvent, unpackEvent } from './event-packing.ts';
import type { EventQuery } from './store.ts';
import { checkPaging, checkTime, chunks, doc, docs, executorRow, pruneInBatches } from './store-rows.ts';
import { RowsStatement } from './compiled-statements.ts';
import type { EventTable, StoreDatabase } from './store-tables.ts';
import { atomically } from './write-fence.ts';

type Db = Kysely<StoreDatabase>;

/** The append of every event, compiled once per dialect and row count (compiled-statements.ts). */
const insertEventRows = new RowsStatement<EventTable>(['seq', 'id', 'time', 'type', 'doc'],
  (db, rows) => db.insertInto('events').values(rows).onConflict((oc) => oc.column('id').doNothing()));

const CLUSTER_STATE_ID = 1;

export async function getClusterState(db: Db): Promise<ClusterStateData | undefined> {
  return doc<ClusterStateData>(await db.selectFrom('cluster_state').select('doc').where('id', '=', CLUSTER_STATE_ID).executeTakeFirst());
}

export async function setClusterState(db: Db, state: ClusterStateData): Promise<void> {
  await db.insertInto('cluster_state').values({ id: CLUSTER_STATE_ID, doc: JSON.stringify(state) })
    .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ doc: eb.ref('excluded.doc') })))
    .execute();
}

/** A write that changes nothing anyone reads: it succeeds only when the store takes writes. */
export async function probe(db: Db, now: number): Promise<void> {
  await db.insertInto('store_probe').values({ id: 1, at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ at: eb.ref('excluded.at') })))
    .execute();
}

export async function upsertExecutor(db: Db, record: ExecutorRecord): Promise<void> {
  await db.insertInto('executors').values(executorRow(record))
    .onConflict((oc) => oc.column('executor_id').doUpdateSet((eb) => ({
      updated: eb.ref('excluded.updated'),
      doc: eb.ref('excluded.doc'),
    })))
    .execute();
}

export async function getExecutor(db: Db, executorId: string): Promise<ExecutorRecord | undefined> {
  return doc<ExecutorRecord>(await db.selectFrom('executors').select('doc').where('executor_id', '=', executorId).executeTakeFirst());
}

export async function listExecutors(db: Db): Promise<ExecutorRecord[]> {
  return docs<ExecutorRecord>(await db.selectFrom('executors').select('doc').orderBy('executor_id').execute());
}

export async function deleteExecutor(db: Db, executorId: string): Promise<void> {
  await db.deleteFrom('executors').where('executor_id', '=', executorId).execute();
}

/**
 * Appends events in one statement per 500 (all or nothing), as compact rows (event-packing.ts).
 * Re-appending an event id is a no-op, so a retried write never duplicates history. `firstSeq`
 * numbers them in order.
 */
export async function appendEvents(db: Db, events: readonly ClusterEvent[], firstSeq: number): Promise<void> {
  let seq = firstSeq;
  const rows = events.map((event) => ({ seq: seq++, ...packEvent(event) }));
  const slices = chunks(rows);
  const write = async (trx: Db): Promise<void> => {
    for (const slice of slices) await insertEventRows.run(trx, slice);
  };
  if (slices.length <= 1) await write(db);
  else await atomically(db, write);
}

/** The highest event sequence number so far (0 when there are none). */
export async function maxEventSeq(db: Db): Promise<number> {
  const row = await db.selectFrom('events').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
  return row?.seq == null ? 0 : Number(row.seq);
}

/** Newest first; `after` is exclusive; an empty `types` list means all types. */
export async function listEvents(db: Db, query: EventQuery): Promise<ClusterEvent[]> {
  const { limit } = checkPaging({ limit: query.limit });
  let select = db.selectFrom('events').select(['id', 'time', 'doc']);
  if (query.after !== undefined) select = select.where('time', '>', checkTime('after', query.after));
  if (query.types?.length) {
    // A string that is no event type matches nothing: no row was ever written with it.
    const codes = query.types.map(eventTypeCode).filter((code) => code !== undefined);
    if (codes.length === 0) return [];
    select = select.where('type', 'in', codes);
  }
  select = select.orderBy('time', 'desc').orderBy('seq', 'desc');
  if (limit !== undefined) select = select.limit(limit);
  const rows = await select.execute();
  const events = new Array<ClusterEvent>(rows.length);
  for (let i = 0; i < rows.length; i++) events[i] = unpackEvent(rows[i]);
  return events;
}

/**
 * How many events of each type match (`after`, `types` as in listEvents), counted by the
 * database: a summary of an hour of events never unpacks them.
 */
export async function countEventsByType(db: Db, query: Omit<EventQuery, 'limit'>): Promise<Record<string, number>> {
  let select = db.selectFrom('events').select(['type', (eb) => eb.fn.countAll().as('count')]).groupBy('type');
  if (query.after !== undefined) select = select.where('time', '>', checkTime('after', query.after));
  if (query.types?.length) {
    const codes = query.types.map(eventTypeCode).filter((code) => code !== undefined);
    if (codes.length === 0) return {};
    select = select.where('type', 'in', codes);
  }
  const counts: Record<string, number> = {};
  for (const row of await select.execute()) {
    const type = eventTypeOf(Number(row.type));
    if (type !== undefined) counts[type] = Number(row.count);
  }
  return counts;
}

export async function pruneEvents(db: Db, before: number): Promise<number> {
  const cutoff = checkTime('before', before);
  return pruneInBatches(async (limit) => {
    const rows = await db.selectFrom('events').select('time').where('time', '<', cutoff).orderBy('time').limit(limit).execute();
    return rows.length === 0 ? undefined : Number(rows[rows.length - 1].time);
  }, async (upTo) => {
    // Only the batch's bound (an expired event's own time), so the index is ranged by it (task-queries.ts).
    const result = await db.deleteFrom('events').where('time', '<=', upTo).executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}
