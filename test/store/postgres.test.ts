/**
 * The conformance suite on PostgreSQL (real server at 127.0.0.1:5432) in a schema of this
 * file's own, emptied between tests and dropped in afterAll. Plus what only PostgreSQL
 * has: the `schema` URL parameter.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/common/logger.ts';
import { openStore } from '../../src/controller/store/open-store.ts';
import { PostgresSchemas } from './postgres-schemas.ts';
import { oldEventRowsConformance } from './old-event-rows.ts';
import { storeConformance } from './store-conformance.ts';
import { T0, taskRecord } from './store-records.ts';

const schemas = new PostgresSchemas('store');

afterAll(() => schemas.dropAll());

// One schema for the suite: the first test migrates it, later ones start from emptied
// tables (creating and migrating a schema per test costs ~0.1-0.4 s each on a busy machine).
const suiteUrl = schemas.url();
let suiteUsed = false;
storeConformance('postgres', async () => {
  if (suiteUsed) await schemas.empty(0);
  suiteUsed = true;
  return openStore(suiteUrl, { logger: silentLogger });
});

describe('PostgreSQL specifics', () => {
  oldEventRowsConformance(() => schemas.url());

  it('creates the schema, keeps every table in it, and reopening reuses it', async () => {
    const url = schemas.url();
    const index = Number(/schema=\w+_(\d+)/.exec(url)![1]);
    const store = await openStore(url, { logger: silentLogger });
    expect(store.kind).toBe('postgres');
    await store.insertTask(taskRecord({ created: T0 }));
    await store.close();
    expect(await schemas.tables(index)).toEqual([
      'apps', 'cluster_state', 'controllers', 'corral_migration', 'corral_migration_lock', 'events', 'executors', 'instance_token_keys', 'instances',
      'leader_lease', 'local_service_instances', 'local_services', 'operations', 'store_probe', 'tasks',
    ]);
    const again = await openStore(url, { logger: silentLogger });
    expect((await again.getTask('batch', 't1'))?.created).toBe(T0);
    await again.close();
  });

  it('refuses a schema migrated by a newer corral, naming the unknown migration', async () => {
    const url = schemas.url();
    const name = /schema=(\w+)/.exec(url)![1];
    await (await openStore(url, { logger: silentLogger })).close();
    await schemas.exec(`INSERT INTO ${name}.corral_migration (name, timestamp) VALUES ($1, $2)`, ['0999-future', new Date().toISOString()]);
    await expect(openStore(url, { logger: silentLogger })).rejects.toThrow(/was migrated by a newer corral \(unknown migrations: 0999-future\)/);
  });
});
