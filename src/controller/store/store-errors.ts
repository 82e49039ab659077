/**
 * Errors the store adapters raise beyond the two declared with the interface (store.ts), and
 * the translation of each engine's constraint errors into DuplicateRecordError.
 */
import { DuplicateRecordError } from './store.ts';

/**
 * An update named a record that does not exist; nothing was written (for a batch: none of
 * it). `missing` lists the absent keys (`app/task`, an appId, an operationId) so a caller
 * batching unrelated writes can drop them and retry the rest.
 */
export class RecordNotFoundError extends Error {
  readonly code = 'RECORD_NOT_FOUND';
  readonly missing: string[];
  constructor(message: string, missing: string[]) {
    super(message);
    this.missing = missing;
  }
}

/** `openStore` was given a URL it cannot use. */
export class StoreUrlError extends Error {
  readonly code = 'STORE_URL_INVALID';
}

/** A paging or filter argument the store cannot run (negative limit, …). */
export class StoreQueryError extends Error {
  readonly code = 'STORE_QUERY_INVALID';
}

/** SQLITE_CONSTRAINT_PRIMARYKEY and SQLITE_CONSTRAINT_UNIQUE. */
const SQLITE_KEY_VIOLATIONS = new Set([1555, 2067]);
/** PostgreSQL `unique_violation`. */
const PG_UNIQUE_VIOLATION = '23505';

/** True when the error is a primary-key/unique violation from node:sqlite or pg. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { errcode, code } = error as { errcode?: unknown; code?: unknown };
  return (typeof errcode === 'number' && SQLITE_KEY_VIOLATIONS.has(errcode)) || code === PG_UNIQUE_VIOLATION;
}

/** Runs a write, turning a key violation into DuplicateRecordError(`message`). */
export async function rejectDuplicates<T>(message: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw new DuplicateRecordError(message, { cause: error });
    throw error;
  }
}

/**
 * SQLite primary result codes meaning "the database cannot be written now" rather than "this
 * statement is wrong": BUSY, LOCKED, NOMEM, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, PROTOCOL.
 */
const SQLITE_UNAVAILABLE = new Map<number, string>([
  [5, 'database is busy'], [6, 'database is locked'], [7, 'out of memory'], [8, 'database is read-only'],
  [10, 'disk I/O error'], [11, 'database file is damaged'], [13, 'database or disk is full'],
  [14, 'database file cannot be opened'], [15, 'database lock protocol error'],
]);
/** PostgreSQL SQLSTATE classes: connection exception, insufficient resources, operator intervention, system error. */
const PG_UNAVAILABLE_CLASSES: Record<string, string> = {
  '08': 'connection to PostgreSQL failed', '53': 'PostgreSQL is out of resources', '57': 'PostgreSQL is shutting down or restarting',
  '58': 'PostgreSQL system error',
};
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const PG_CLIENT_GONE = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end/i;

/**
 * Why the store is unavailable, when `error` says it is (the disk is full, PostgreSQL is down or
 * restarting, the database is locked); undefined for errors of the statement itself.
 */
export function storeUnavailability(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { errcode, code, message } = error as { errcode?: unknown; code?: unknown; message?: unknown };
  if (typeof errcode === 'number') {
    const known = SQLITE_UNAVAILABLE.get(errcode & 0xff);
    if (known) return typeof message === 'string' && message.length < 120 ? message : known;
  }
  if (typeof code === 'string') {
    if (/^[0-9A-Z]{5}$/.test(code) && PG_UNAVAILABLE_CLASSES[code.slice(0, 2)]) {
      return code === '53100' ? 'PostgreSQL: disk full' : `${PG_UNAVAILABLE_CLASSES[code.slice(0, 2)]} (${code})`;
    }
    if (NETWORK_CODES.has(code)) return `cannot reach the database (${code})`;
  }
  if (typeof message === 'string' && PG_CLIENT_GONE.test(message)) return 'the connection to PostgreSQL was lost';
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error ? storeUnavailability(cause) : undefined;
}
