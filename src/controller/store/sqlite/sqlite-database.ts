/**
 * Opens the embedded store database on Node's built-in `node:sqlite` and adapts it to the
 * better-sqlite3-shaped interface Kysely's `SqliteDialect` expects.
 *
 *   open file ─▶ locking_mode=EXCLUSIVE ─▶ journal_mode=WAL ─▶ BEGIN IMMEDIATE/COMMIT (lock taken)
 *        │                     any SQLITE_BUSY on the way ─▶ StoreLockedError (file left untouched)
 *        └─▶ synchronous=FULL (durability PROCESS: NORMAL), wal_autocheckpoint, busy_timeout ─▶ ready
 *
 * One controller per file: the exclusive lock is a POSIX advisory lock held by this process
 * until `close()`, and the kernel drops it when the process dies, so a crashed controller
 * never leaves a stale lock behind (unlike a pid file).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { StoreLockedError } from '../store.ts';

/** SQLite result codes that mean "someone else holds the file" (SQLITE_BUSY, SQLITE_LOCKED and extended forms). */
const BUSY_PRIMARY_CODES = new Set([5, 6]);

/** Statements kept prepared; the store issues a small fixed set of shapes, so hits dominate. */
const STATEMENT_CACHE_SIZE = 256;

export interface SqliteOpenOptions {
  /** Wait this long for a lock held by *this* process's own transactions (ms). */
  busyTimeoutMs?: number;
  /**
   * `FULL` (default): every commit is fsynced before it returns, so an acknowledged write
   * survives an OS crash or power loss. `PROCESS`: WAL with synchronous=NORMAL, which survives a
   * crash of this process but may lose the last commits to an OS crash (fsync only at checkpoints).
   */
  durability?: 'FULL' | 'PROCESS';
}

/** A `sqlite:` target: a file path or the in-memory database. */
export type SqliteTarget = { kind: 'memory' } | { kind: 'file'; path: string };

/**
 * Opens (creating if needed, with parent directories) and locks the database, returning a
 * Kysely-compatible database object. Throws StoreLockedError when another process holds it.
 */
export function openSqliteDatabase(target: SqliteTarget, options: SqliteOpenOptions = {}): NodeSqliteDatabase {
  if (target.kind === 'memory') {
    const db = new DatabaseSync(':memory:');
    db.exec('PRAGMA foreign_keys = ON');
    return new NodeSqliteDatabase(db);
  }
  const file = path.resolve(target.path);
  mkdirSync(path.dirname(file), { recursive: true });
  // timeout 0 while taking the lock: a second controller must fail at once, not hang.
  const db = new DatabaseSync(file, { timeout: 0 });
  try {
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('BEGIN IMMEDIATE');
    db.exec('COMMIT');
  } catch (error) {
    db.close();
    if (isBusyError(error)) {
      throw new StoreLockedError(
        `Another corral controller is already using ${file}; stop it or use a different --data-dir `
        + '(a SQLite store serves one controller: run several on a PostgreSQL store, docs/ha.md)',
        { cause: error },
      );
    }
    throw new Error(`Cannot open the SQLite store at ${file}: ${(error as Error).message}`, { cause: error });
  }
  db.exec(`PRAGMA synchronous = ${options.durability === 'PROCESS' ? 'NORMAL' : 'FULL'}`);
  // Checkpoint (under synchronous=NORMAL the only fsync) every ~16 MB of WAL rather than
  // SQLite's default ~4 MB: roughly doubles autocommit write throughput here; the WAL file is
  // trimmed back to 64 MB after a checkpoint so it cannot grow without bound.
  db.exec('PRAGMA wal_autocheckpoint = 4000');
  db.exec('PRAGMA journal_size_limit = 67108864');
  db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5_000))}`);
  db.exec('PRAGMA foreign_keys = ON');
  return new NodeSqliteDatabase(db);
}

/** True for SQLite "database is locked/busy" errors raised by node:sqlite. */
export function isBusyError(error: unknown): boolean {
  const errcode = (error as { errcode?: unknown } | null)?.errcode;
  return typeof errcode === 'number' && BUSY_PRIMARY_CODES.has(errcode & 0xff);
}

/**
 * node:sqlite's DatabaseSync behind the better-sqlite3 shape Kysely needs. Kysely prepares
 * every query afresh; this keeps recently used statements prepared, keyed by SQL text, which
 * is most of the cost of a small write.
 */
export class NodeSqliteDatabase implements SqliteDatabase {
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, NodeSqliteStatement>();

  constructor(db: DatabaseSync) {
    this.db = db;
  }

  prepare(sql: string): SqliteStatement {
    let statement = this.statements.get(sql);
    if (statement) {
      // Re-insert to keep the Map in least-recently-used order.
      this.statements.delete(sql);
      this.statements.set(sql, statement);
      return statement;
    }
    statement = new NodeSqliteStatement(this.db.prepare(sql));
    this.statements.set(sql, statement);
    if (this.statements.size > STATEMENT_CACHE_SIZE) {
      const oldest = this.statements.keys().next().value as string;
      this.statements.delete(oldest);
    }
    return statement;
  }

  close(): void {
    this.statements.clear();
    if (this.db.isOpen) this.db.close();
  }
}

class NodeSqliteStatement implements SqliteStatement {
  readonly reader: boolean;
  private readonly statement: StatementSync;

  constructor(statement: StatementSync) {
    this.statement = statement;
    // node:sqlite has no `reader` flag: a statement that yields columns returns rows
    // (SELECT, PRAGMA, … RETURNING); anything else is run for its changes.
    this.reader = statement.columns().length > 0;
  }

  all(parameters: ReadonlyArray<unknown>): unknown[] {
    return this.statement.all(...bindable(parameters));
  }

  run(parameters: ReadonlyArray<unknown>): { changes: number | bigint; lastInsertRowid: number | bigint } {
    return this.statement.run(...bindable(parameters));
  }

  iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    return this.statement.iterate(...bindable(parameters)) as IterableIterator<unknown>;
  }
}

type SqliteValue = null | number | bigint | string | NodeJS.ArrayBufferView;

/** node:sqlite binds only null, numbers, bigints, strings and byte arrays. */
function bindable(parameters: ReadonlyArray<unknown>): SqliteValue[] {
  const out = new Array<SqliteValue>(parameters.length);
  for (let i = 0; i < parameters.length; i++) {
    const value = parameters[i];
    if (value === undefined) out[i] = null;
    else if (typeof value === 'boolean') out[i] = value ? 1 : 0;
    else out[i] = value as SqliteValue;
  }
  return out;
}
