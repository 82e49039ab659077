/**
 * Record ⇄ row mapping: the filter columns are derived from the record, and the record itself
 * travels whole as JSON in `doc`. Reading uses only `doc`, so a field added to a record type
 * round-trips with no migration.
 */
import type { AppRecord, InstanceRecord } from '../../api/app-types.ts';
import type { ExecutorRecord } from '../../api/cluster-types.ts';
import type { OperationRecord } from '../../api/operation-types.ts';
import type { TaskRecord } from '../../api/task-types.ts';
import { StoreQueryError } from './store-errors.ts';
import type { AppTable, ExecutorTable, InstanceTable, OperationTable, TaskTable } from './store-tables.ts';

/** Rows per multi-row statement: far below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters. */
export const ROWS_PER_STATEMENT = 500;

/** Epoch-ms for a bigint column; tolerates a fractional value rather than failing the write. */
function ms(value: number): number {
  return Math.trunc(value);
}

export function taskRow(record: TaskRecord): TaskTable {
  return {
    source_app_name: record.sourceAppName,
    task_id: record.taskId,
    instance_id: record.instanceId,
    state: record.state,
    executor_id: record.executorId ?? null,
    parent_task_id: record.parentTaskId ?? null,
    created: ms(record.created),
    updated: ms(record.updated),
    doc: JSON.stringify(record),
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
    doc: JSON.stringify(record),
  };
}

export function executorRow(record: ExecutorRecord): ExecutorTable {
  return { executor_id: record.executorId, updated: ms(record.updated), doc: JSON.stringify(record) };
}

/** Parses the `doc` of each row. */
export function docs<T>(rows: ReadonlyArray<{ doc: string }>): T[] {
  const out = new Array<T>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = JSON.parse(rows[i].doc) as T;
  return out;
}

export function doc<T>(row: { doc: string } | undefined): T | undefined {
  return row ? (JSON.parse(row.doc) as T) : undefined;
}

/** Splits `items` into slices of at most `size`. */
export function chunks<T>(items: readonly T[], size = ROWS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
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
