/**
 * Record ⇄ row mapping: the filter columns are derived from the record, and the record itself
 * travels whole as JSON in `doc`. Reading uses only `doc`, so a field added to a record type
 * round-trips with no migration.
 */
import type { AppRecord, InstanceRecord } from '../../api/app-types.ts';
import type { ExecutorRecord } from '../../api/cluster-types.ts';
import type { OperationRecord } from '../../api/operation-types.ts';
import type { TaskRecord } from '../../api/task-types.ts';
import { TERMINAL_TASK_STATES } from '../../api/task-types.ts';
import { packDoc, unpackDoc } from './doc-packing.ts';
import { StoreQueryError } from './store-errors.ts';
import type { AppTable, ExecutorTable, InstanceTable, OperationTable, TaskTable } from './store-tables.ts';

/** Rows per multi-row statement: far below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters. */
export const ROWS_PER_STATEMENT = 500;

/** Epoch-ms for a bigint column; tolerates a fractional value rather than failing the write. */
function ms(value: number): number {
  return Math.trunc(value);
}

/**
 * Task records are packed (doc-packing.ts), active ones too: a row written at 1.1 KB and shrunk
 * when the task ends leaves its page three quarters empty (SQLite does not refill it), so a
 * finished task cost 2.3 KB however small its final row. A finished task's `executor_id` column
 * is left empty: the column serves only the active-task queries (an executor's tasks, a lost
 * executor), and at a hundred thousand finished tasks its index entries alone were ~50 bytes each.
 */
export function taskRow(record: TaskRecord): TaskTable {
  const finished = TERMINAL_TASK_STATES.has(record.state);
  return {
    source_app_name: record.sourceAppName,
    task_id: record.taskId,
    instance_id: record.instanceId,
    state: record.state,
    executor_id: finished ? null : record.executorId ?? null,
    parent_task_id: record.parentTaskId ?? null,
    created: ms(record.created),
    updated: ms(record.updated),
    // Packed from the first write (doc-packing.ts), though each deflate costs ~30 µs: a row
    // written as JSON and packed only when finished shrinks in place and leaves its pages
    // fragmented — measured at 1,407 B per finished task (task + operation) against 956 B.
    doc: packDoc(record, true),
  };
}

export function appRow(record: AppRecord): AppTable {
  return { app_id: record.appId, state: record.state, created: ms(record.created), updated: ms(record.updated), doc: JSON.stringify(record) };
}

export function instanceRow(record: InstanceRecord): InstanceTable {
  return {
    app_id: record.appId,
    instance_id: record.instanceId,
    state: record.state,
    executor_id: record.executorId ?? null,
    created: ms(record.created),
    updated: ms(record.updated),
    doc: JSON.stringify(record),
  };
}

export function operationRow(record: OperationRecord): OperationTable {
  return {
    operation_id: record.operationId,
    type: record.type,
    app_id: record.target.kind === 'app' ? record.target.appId : null,
    state: record.state,
    created: ms(record.created),
    updated: ms(record.updated),
    finished: record.finished === undefined ? null : ms(record.finished),
    // Packed for the reasons task rows are (taskRow); an app's operations are few and stay JSON.
    doc: packDoc(record, record.target.kind === 'task'),
  };
}

export function executorRow(record: ExecutorRecord): ExecutorTable {
  return { executor_id: record.executorId, updated: ms(record.updated), doc: JSON.stringify(record) };
}

/** Parses the `doc` of each row. */
export function docs<T>(rows: ReadonlyArray<{ doc: string }>): T[] {
  const out = new Array<T>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = unpackDoc<T>(rows[i].doc);
  return out;
}

export function doc<T>(row: { doc: string } | undefined): T | undefined {
  return row ? unpackDoc<T>(row.doc) : undefined;
}

/** Splits `items` into slices of at most `size`. */
/**
 * Slices for multi-row statements: full slices of `size`, then the rest in powers of two
 * (300 rows → 256 + 32 + 8 + 4). Every distinct row count is a distinct SQL text, and SQLite
 * keeps each prepared (sqlite-database.ts): with free sizes a busy controller held a few hundred
 * statements of a few hundred rows each — over 100 MB of native memory. With these, a query kind
 * has at most ten shapes.
 */
export function chunks<T>(items: readonly T[], size = ROWS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  let i = 0;
  for (; items.length - i >= size; i += size) out.push(items.slice(i, i + size));
  for (let step = 2 ** Math.floor(Math.log2(Math.max(1, size - 1))); i < items.length; step /= 2) {
    if (items.length - i >= step) {
      out.push(items.slice(i, i + step));
      i += step;
    }
  }
  return out;
}

/** Keeps the last record for each key, in first-seen order (one statement may touch a row once). */
export function lastPerKey<T>(records: readonly T[], key: (record: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const record of records) byKey.set(key(record), record);
  return [...byKey.values()];
}

/** Validates optional paging values, naming the bad one. */
export function checkPaging(query: { offset?: number; limit?: number }): { offset: number; limit?: number } {
  for (const name of ['offset', 'limit'] as const) {
    const value = query[name];
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new StoreQueryError(`${name} must be a non-negative integer, got ${String(value)}`);
    }
  }
  return { offset: query.offset ?? 0, limit: query.limit };
}

/** Validates a non-negative integer argument such as `keepPerApp`. */
export function checkCount(name: string, value: number): number {
  if (!(Number.isSafeInteger(value) && value >= 0)) {
    throw new StoreQueryError(`${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/** Validates a cut-off time. */
export function checkTime(name: string, value: number): number {
  if (!Number.isFinite(value)) throw new StoreQueryError(`${name} must be a finite epoch-ms number, got ${String(value)}`);
  return value;
}

/** A readable key for messages: `app/task`. */
export function taskKey(record: { sourceAppName: string; taskId: string }): string {
  return `${record.sourceAppName}/${record.taskId}`;
}

/** Rows the first retention statement of a sweep deletes; the later ones are sized by their time. */
export const PRUNE_BATCH = 2_000;
/**
 * What one retention batch may take: node:sqlite holds the whole event loop while it runs, and a
 * WAL checkpoint or a slow commit now and then lands on top of it, so the aim stays well under the
 * 50 ms event-loop target.
 */
const PRUNE_STATEMENT_MS = 10;
const PRUNE_BATCH_MIN = 100;
const PRUNE_BATCH_MAX = 20_000;

/**
 * Deletes in batches: `boundary(limit)` names the newest key value of the next batch of about
 * `limit` rows (undefined when nothing is left), `remove(upTo)` deletes up to it. Between batches
 * the event loop runs (setImmediate), so a million expired rows never stall the controller: one
 * statement deleting them all held SQLite — and with it the whole event loop — for seconds. Each
 * batch is sized from the last one's time to take about PRUNE_STATEMENT_MS: what a row costs
 * varies with the table, its indexes and the disk by more than tenfold. (`remove` must range its
 * index by `upTo` alone — a second bound on the same column made SQLite read every expired row
 * per batch, see task-queries.ts.)
 */
export async function pruneInBatches(boundary: (limit: number) => Promise<number | undefined>, remove: (upTo: number) => Promise<number>): Promise<number> {
  let removed = 0;
  let limit = PRUNE_BATCH;
  for (;;) {
    const started = performance.now();
    const upTo = await boundary(limit);
    if (upTo === undefined) return removed;
    const n = await remove(upTo);
    removed += n;
    if (n === 0) return removed;
    const tookMs = Math.max(1, performance.now() - started);
    limit = Math.round(Math.min(PRUNE_BATCH_MAX, Math.max(PRUNE_BATCH_MIN, (limit * PRUNE_STATEMENT_MS) / tookMs)));
    await new Promise((resolve) => setImmediate(resolve));
  }
}
