/**
 * PostgreSQL connection pool for the store. The optional `schema` URL parameter (not a libpq
 * parameter, so it is removed before pg sees the URL) names a schema that is created if
 * missing and put on every pooled connection's `search_path` as a startup option — no extra
 * round trip per connection — so tests (or several clusters) can share one database.
 */
import pg from 'pg';
import type { Logger } from '../../../common/logger.ts';
import { StoreUrlError } from '../store-errors.ts';

/** Lower-case so the name means the same quoted or not; 63 bytes is PostgreSQL's identifier limit. */
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresTarget {
  /** What pg connects with: `schema` replaced by a `search_path` startup option. */
  connectionString: string;
  schema?: string;
  /** The URL with any password masked, for logs and messages. */
  display: string;
}

/** Parses and validates a `postgres://` / `postgresql://` store URL. */
export function parsePostgresUrl(url: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreUrlError(`The PostgreSQL store URL "${maskPassword(url)}" is malformed: expected postgres://USER@HOST:PORT/DATABASE[?schema=NAME]`);
  }
  if (!parsed.hostname) {
    throw new StoreUrlError(`The PostgreSQL store URL "${maskPassword(url)}" names no host: expected postgres://USER@HOST:PORT/DATABASE[?schema=NAME]`);
  }
  const schemas = parsed.searchParams.getAll('schema');
  if (schemas.length > 1) throw new StoreUrlError(`The PostgreSQL store URL "${maskPassword(url)}" has more than one schema parameter`);
  const schema = schemas[0];
  if (schema !== undefined && !SCHEMA_PATTERN.test(schema)) {
    throw new StoreUrlError(
      `Invalid schema "${schema}" in the PostgreSQL store URL: use 1-63 lower-case letters, digits or underscores, not starting with a digit`,
    );
  }
  parsed.searchParams.delete('schema');
  if (schema !== undefined) {
    // pg lets URL parameters override the pool config, so search_path joins any `options`
    // the URL already carries instead of being passed beside them.
    const options = parsed.searchParams.get('options');
    parsed.searchParams.set('options', [options, `-c search_path=${schema}`].filter(Boolean).join(' '));
  }
  return { connectionString: parsed.toString(), schema, display: maskPassword(url) };
}

/** The URL with its password replaced by `***` (unparseable input is returned as is). */
export function maskPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/**
 * Creates the pool, checks that the server answers, and creates the schema if one was named.
 * Returns the pool and the schema the store's tables live in. Throws an Error naming the
 * server when it cannot connect.
 */
export async function openPostgresPool(target: PostgresTarget, logger: Logger, options: { idleInTransactionMs?: number } = {}): Promise<{ pool: pg.Pool; schema: string }> {
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    max: 10,
    connectionTimeoutMillis: 10_000,
    application_name: 'corral-controller',
    // A controller paused or cut off in the middle of a transaction must not keep its locks (the
    // lease row's among them, docs/ha.md): the server ends such a session after this long.
    ...(options.idleInTransactionMs ? { idle_in_transaction_session_timeout: options.idleInTransactionMs } : {}),
  });
  // An idle client losing its server must not crash the controller; the next query reconnects.
  pool.on('error', (error) => logger.warn({ err: error, store: 'postgres' }, 'idle PostgreSQL connection failed'));
  guardCheckedOutClients(pool, logger);
  try {
    if (target.schema) {
      await pool.query(`CREATE SCHEMA IF NOT EXISTS ${target.schema}`);
      return { pool, schema: target.schema };
    }
    const result = await pool.query<{ schema: string | null }>('SELECT current_schema() AS schema');
    const schema = result.rows[0]?.schema;
    if (!schema) throw new Error('no schema on the search_path to create tables in; add ?schema=NAME to the URL');
    return { pool, schema };
  } catch (error) {
    await pool.end().catch(() => undefined);
    // Two controllers creating the same schema at once: the loser sees a duplicate; it exists now.
    if (isDuplicateSchema(error)) return openPostgresPool(target, logger, options);
    throw new Error(`Cannot use the PostgreSQL store at ${target.display}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * A client in use can lose its server between two statements (the server ended a transaction
 * left idle, docs/ha.md; a restart; a cut network). pg then emits `error` on the client, which
 * the pool listens to only while the client is idle: unheard, it would crash the process. The
 * statement in progress, or the next one, fails on its own, and the pool drops the client.
 */
export function guardCheckedOutClients(pool: pg.Pool, logger: Logger): void {
  pool.on('connect', (client) => {
    client.on('error', (error) => logger.warn({ err: error.message, store: 'postgres' }, 'PostgreSQL connection in use failed'));
  });
}

function isDuplicateSchema(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === '42P06';
}
