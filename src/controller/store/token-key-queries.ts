/** Instance-token signing keys (migration 0005). */
import type { Kysely } from 'kysely';
import type { InstanceTokenKey } from './store.ts';
import type { StoreDatabase } from './store-tables.ts';

type Db = Kysely<StoreDatabase>;

export async function listInstanceTokenKeys(db: Db): Promise<InstanceTokenKey[]> {
  const rows = await db.selectFrom('instance_token_keys').select(['kid', 'secret', 'created']).orderBy('created', 'asc').orderBy('kid', 'asc').execute();
  return rows.map((row) => ({ kid: row.kid, secret: row.secret, created: Number(row.created) }));
}

export async function addInstanceTokenKey(db: Db, key: InstanceTokenKey): Promise<void> {
  await db.insertInto('instance_token_keys').values({ kid: key.kid, secret: key.secret, created: key.created }).execute();
}

export async function deleteInstanceTokenKeys(db: Db, kids: string[]): Promise<void> {
  if (kids.length === 0) return;
  await db.deleteFrom('instance_token_keys').where('kid', 'in', kids).execute();
}
