/**
 * The Drove response envelope (docs/api.md §1.3): `{status, data, message}`, serialised with every
 * null-valued property omitted at any depth.
 */

export type ApiStatus = 'SUCCESS' | 'FAILED';

export interface Envelope<T = unknown> {
  status: ApiStatus;
  data?: T;
  message: string;
}

export function success<T>(data?: T): Envelope<T> {
  return data === undefined || data === null ? { status: 'SUCCESS', message: 'success' } : { status: 'SUCCESS', data, message: 'success' };
}

export function failure<T>(message: string, data?: T): Envelope<T> {
  return data === undefined || data === null ? { status: 'FAILED', message } : { status: 'FAILED', data, message };
}

/** JSON.stringify replacer-free null omission: drops `null` and `undefined` object properties at any depth. */
export function stringifyWithoutNulls(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    let hasNull = false;
    for (const k in v) {
      if ((v as Record<string, unknown>)[k] === null) {
        hasNull = true;
        break;
      }
    }
    if (!hasNull) return v;
    const copy: Record<string, unknown> = {};
    for (const [k, inner] of Object.entries(v)) if (inner !== null) copy[k] = inner;
    return copy;
  });
}
