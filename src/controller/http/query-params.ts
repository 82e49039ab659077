/**
 * Typed reads of query parameters. Drove answers 404 when a parameter does not convert;
 * corral answers 400 `Command validation failure` naming the parameter (docs/api.md §1.4).
 */
import { CommandValidationError } from '../../common/errors.ts';

type Query = Record<string, string | string[] | undefined> | undefined;

/**
 * A parameter that takes one value. Given several times with the same value it is that value;
 * with different values (`?size=1&size=500`) there is no right guess, so the request is refused.
 */
function single(query: Query, name: string): string | undefined {
  const raw = query?.[name];
  if (!Array.isArray(raw)) return raw;
  const distinct = [...new Set(raw)];
  if (distinct.length > 1) {
    throw new CommandValidationError(`${name} takes one value but was given ${raw.length}: ${distinct.map((v) => `"${v}"`).join(', ')}`);
  }
  return distinct[0];
}

/**
 * An integer query parameter (`long` in docs/api.md terms: any safe integer).
 * Absent or empty → `fallback`; not an integer or below `min` → CommandValidationError.
 */
export function queryInteger(query: Query, name: string, fallback: number, options: { min?: number; max?: number } = {}): number {
  const raw = single(query, name);
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(Number(raw))) {
    throw new CommandValidationError(`${name} must be an integer, got "${raw}"`);
  }
  const value = Number(raw);
  if (options.min !== undefined && value < options.min) {
    throw new CommandValidationError(`${name} must be greater than or equal to ${options.min}`);
  }
  if (options.max !== undefined && value > options.max) {
    throw new CommandValidationError(`${name} must be less than or equal to ${options.max}`);
  }
  return value;
}

/** A boolean query parameter: `true`/`false` (case-insensitive); absent → `fallback`. */
export function queryBoolean(query: Query, name: string, fallback: boolean): boolean {
  const raw = single(query, name);
  if (raw === undefined || raw === '') return fallback;
  const lower = raw.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new CommandValidationError(`${name} must be true or false, got "${raw}"`);
}

/** A repeated query parameter (`?id=a&id=b`) as a list, empty values dropped. */
export function queryList(query: Query, name: string): string[] {
  const raw = query?.[name];
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).filter((v) => v !== '');
}

/** A single string query parameter, when present and non-empty. */
export function queryString(query: Query, name: string): string | undefined {
  const raw = single(query, name);
  return raw === undefined || raw === '' ? undefined : raw;
}
