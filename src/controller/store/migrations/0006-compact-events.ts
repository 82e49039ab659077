/**
 * Migration 0006: the event log in compact rows (event-packing.ts). Each part of an event is
 * stored once: the id as 16 bytes (its unique index is what dedupes a re-appended event), the
 * time and a type number as the columns `after`/`types` filter on, and the rest deflated in
 * `doc`. On SQLite `seq` is the table's rowid, so neither the table nor the time index keeps a
 * second copy of the key; on PostgreSQL it is a plain column beside `time` in that index.
 *
 * Rows already stored are copied with their JSON as it was (the reader still understands it),
 * in slices of 500 so a full hour of events never builds one huge statement.
 */
import { PostgresAdapter, type Kysely, type Migration } from 'kysely';
import { eventIdKey, eventTypeCode } from '../event-packing.ts';

const COPY_SLICE = 500;

export const migration0006CompactEvents: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against the schema as it was then, not today's types
  async up(db: Kysely<any>): Promise<void> {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    // Kysely runs a PostgreSQL migration in a transaction, a SQLite one not (it assumes no
    // transactional DDL, which SQLite has): a copy cut off half-way must leave the old table whole.
    if (postgres) await compactEvents(db, true);
    else await db.transaction().execute((trx) => compactEvents(trx, false));
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
async function compactEvents(db: Kysely<any>, postgres: boolean): Promise<void> {
  const bytes = postgres ? 'bytea' : 'blob';
  await db.schema.createTable('events_0006')
    .addColumn('seq', postgres ? 'bigint' : 'integer', (c) => (postgres ? c.notNull() : c.primaryKey()))
    .addColumn('id', bytes, (c) => c.notNull())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addColumn('type', 'smallint', (c) => c.notNull())
    .addColumn('doc', bytes, (c) => c.notNull())
    .execute();

  // Paged by a key with an index of its own (neither engine has one starting with seq, and an
  // unindexed page query scanned the table): SQLite's rowid, which is also append order, so the
  // new table is written in order; PostgreSQL's primary key, the id.
  const key = postgres ? 'event_id' : 'rowid';
  for (let after: string | number | undefined; ;) {
    let page = db.selectFrom('events').select([`${key} as page_key`, 'seq', 'event_id', 'time', 'type', 'doc']);
    if (after !== undefined) page = page.where(key, '>', after);
    const rows = await page.orderBy(key).limit(COPY_SLICE).execute() as { page_key: string | number; seq: number | string; event_id: string; time: number | string; type: string; doc: string }[];
    if (rows.length === 0) break;
    await db.insertInto('events_0006').values(rows.map((row) => ({
      seq: Number(row.seq),
      id: eventIdKey(row.event_id),
      time: Number(row.time),
      // 0: a type this build does not number; such a row is read, only a `types` filter skips it.
      type: eventTypeCode(row.type) ?? 0,
      doc: Buffer.from(row.doc, 'utf8'),
    }))).execute();
    after = rows[rows.length - 1].page_key;
  }

  await db.schema.dropTable('events').execute();
  await db.schema.alterTable('events_0006').renameTo('events').execute();
  await db.schema.createIndex('events_id_idx').unique().on('events').column('id').execute();
  // SQLite appends the rowid (`seq`) to every index entry: (time) orders by (time, seq) already.
  await db.schema.createIndex('events_time_idx').on('events').columns(postgres ? ['time', 'seq'] : ['time']).execute();
}
