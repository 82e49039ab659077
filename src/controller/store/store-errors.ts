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
