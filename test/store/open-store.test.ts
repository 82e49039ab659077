/** openStore: URL forms, clear errors for bad ones, directory creation, in-memory stores. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/common/logger.ts';
import { openStore } from '../../src/controller/store/open-store.ts';
import { StoreUrlError } from '../../src/controller/store/store-errors.ts';
import { PostgresSchemas } from './postgres-schemas.ts';
import { T0 } from './store-records.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'corral-open-'));
const schemas = new PostgresSchemas('open');
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await schemas.dropAll();
});

const open = (url: string) => openStore(url, { logger: silentLogger });

/** The error opening `url` fails with (the test fails if it opens). */
async function openError(url: string): Promise<Error> {
  const store = await open(url).catch((e: unknown) => e as Error);
  if (!(store instanceof Error)) {
    await store.close();
    throw new Error(`expected ${url} to fail, but it opened`);
  }
  return store;
}

describe('openStore', () => {
  it.each([
    ['', /store URL is empty/],
    ['   ', /store URL is empty/],
    ['mysql://root@localhost/db', /Unsupported store URL "mysql:\/\/root@localhost\/db": use sqlite:PATH, sqlite::memory: or postgres:\/\//],
    ['controller.db', /Unsupported store URL "controller.db"/],
    ['sqlite:', /"sqlite:" has no path: use sqlite:PATH/],
    ['sqlite://', /has no path/],
    ['postgres://', /names no host|malformed/],
    ['postgres://host:notaport/db', /malformed/],
    ['postgres://postgres@127.0.0.1/postgres?schema=Bad-Name', /Invalid schema "Bad-Name".*lower-case letters, digits or underscores/],
    ['postgres://postgres@127.0.0.1/postgres?schema=1abc', /Invalid schema "1abc"/],
    ['postgres://postgres@127.0.0.1/postgres?schema=a&schema=b', /more than one schema parameter/],
  ])('rejects %j with a clear StoreUrlError', async (url, message) => {
    const error = await openError(url);
    expect(error).toBeInstanceOf(StoreUrlError);
    expect((error as StoreUrlError).code).toBe('STORE_URL_INVALID');
    expect((error as Error).message).toMatch(message);
  });

  it('never echoes a password from a URL it rejects', async () => {
    const error = await openError('mysql://root:s3cret@localhost/db');
    expect(error.message).not.toContain('s3cret');
    expect(error.message).toContain('***');
  });

  it('names the server when PostgreSQL cannot be reached, without the password', async () => {
    const error = await openError('postgres://postgres:s3cret@127.0.0.1:1/postgres');
    expect(error.message).toMatch(/^Cannot use the PostgreSQL store at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/postgres: .*ECONNREFUSED/);
    expect(error.message).not.toContain('s3cret');
  });

  it('creates parent directories for a sqlite: path, and accepts sqlite:// spelling', async () => {
    const file = path.join(dir, 'deep', 'er', 'controller.db');
    const store = await open(`sqlite:${file}`);
    expect(store.kind).toBe('sqlite');
    expect(existsSync(file)).toBe(true);
    await store.setClusterState({ state: 'NORMAL', updated: T0 });
    await store.close();
    const again = await open(`sqlite://${file}`);
    expect(await again.getClusterState()).toEqual({ state: 'NORMAL', updated: T0 });
    await again.close();
  });

  it('opens independent in-memory stores', async () => {
    const a = await open('sqlite::memory:');
    const b = await open('sqlite::memory:');
    await a.setClusterState({ state: 'MAINTENANCE', updated: T0 });
    expect(await b.getClusterState()).toBeUndefined();
    await Promise.all([a.close(), b.close()]);
  });

  it('accepts postgresql:// as well as postgres://', async () => {
    const store = await open(schemas.url().replace(/^postgres:/, 'postgresql:'));
    expect(store.kind).toBe('postgres');
    await store.close();
  });
});
