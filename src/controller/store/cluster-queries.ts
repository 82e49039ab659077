/** Cluster state (a single row), executor records and the event log. */
import type { Kysely } from 'kysely';
import type { ClusterEvent, ClusterStateData, ExecutorRecord } from '../../api/cluster-types.ts';
import type { EventQuery } from './store.ts';
import { checkPaging, checkTime, chunks, doc, docs, executorRow, ROWS_PER_STATEMENT } from './store-rows.ts';
import type { StoreDatabase } from './store-tables.ts';

type Db = Kysely<StoreDatabase>;

const CLUSTER_STATE_ID = 1;

export async function getClusterState(db: Db): Promise<ClusterStateData | undefined> {
  return doc<ClusterStateData>(await db.selectFrom('cluster_state').select('doc').where('id', '=', CLUSTER_STATE_ID).executeTakeFirst());
}

export async function setClusterState(db: Db, state: ClusterStateData): Promise<void> {
  await db.insertInto('cluster_state').values({ id: CLUSTER_STATE_ID, doc: JSON.stringify(state) })
    .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ doc: eb.ref('excluded.doc') })))
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
 * Appends events in one statement per 500 (all or nothing). Re-appending an event id is a
 * no-op, so a retried write never duplicates history. `firstSeq` numbers them in order.
 */
export async function appendEvents(db: Db, events: readonly ClusterEvent[], firstSeq: number): Promise<void> {
  let seq = firstSeq;
  const rows = events.map((event) => ({
    event_id: event.id,
    time: Math.trunc(event.time),
    seq: seq++,
    type: event.type,
    doc: JSON.stringify(event),
  }));
  const write = async (trx: Db): Promise<void> => {
    for (const slice of chunks(rows)) {
      await trx.insertInto('events').values(slice).onConflict((oc) => oc.column('event_id').doNothing()).execute();
    }
  };
  if (rows.length <= ROWS_PER_STATEMENT) await write(db);
  else await db.transaction().execute(write);
}

/** The highest event sequence number so far (0 when there are none). */
export async function maxEventSeq(db: Db): Promise<number> {
  const row = await db.selectFrom('events').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
  return row?.seq == null ? 0 : Number(row.seq);
}

/** Newest first; `after` is exclusive; an empty `types` list means all types. */
export async function listEvents(db: Db, query: EventQuery): Promise<ClusterEvent[]> {
  const { limit } = checkPaging({ limit: query.limit });
  let select = db.selectFrom('events').select('doc');
  if (query.after !== undefined) select = select.where('time', '>', checkTime('after', query.after));
  if (query.types?.length) select = select.where('type', 'in', query.types);
  select = select.orderBy('time', 'desc').orderBy('seq', 'desc');
  if (limit !== undefined) select = select.limit(limit);
  return docs<ClusterEvent>(await select.execute());
}

export async function pruneEvents(db: Db, before: number): Promise<number> {
  const result = await db.deleteFrom('events').where('time', '<', checkTime('before', before)).executeTakeFirst();
  return Number(result.numDeletedRows);
}
