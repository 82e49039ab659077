/**
 * Field-level schema builders shared by every spec schema, mirroring the Jackson/Hibernate
 * annotations of Drove's models (`@NotEmpty`, `@Min`/`@Max`, `@Pattern`, fuzzy enums).
 * Missing fields come out as `must not be null` / `must not be empty` command errors through
 * validation-run's translator; wrong JSON types as JSON errors.
 */
import { z } from 'zod';
import { MAX_IDENTIFIER_LENGTH } from '../../common/ids.ts';

/** Pattern of names, versions and task identities, as Drove prints it in messages. */
export const ID_PATTERN_TEXT = '[A-Za-z0-9_-]*';
const ID_PATTERN = /^[A-Za-z0-9_-]*$/;

/** A custom issue that is a constraint (command) failure, not a parse failure. */
export const COMMAND = { kind: 'command' } as const;
/** A custom issue that is a parse (JSON) failure. */
export const JSON_PROBLEM = { kind: 'json' } as const;

/** Required, non-empty string (`@NotEmpty String`). */
export function text() {
  return z.string().min(1);
}

/**
 * Required name/id (`@NotEmpty @Pattern("[A-Za-z0-9_-]*")`), at most MAX_IDENTIFIER_LENGTH long
 * so that every id a client creates can be addressed in a URL afterwards.
 */
export function identifier() {
  return z.string().min(1).max(MAX_IDENTIFIER_LENGTH).regex(ID_PATTERN, { error: `must match "${ID_PATTERN_TEXT}"` });
}

/** Required absolute filesystem path. */
export function absolutePath() {
  return z
    .string()
    .min(1)
    .refine((s) => s === '' || s.startsWith('/'), { error: 'must be an absolute path (start with "/")', params: COMMAND });
}

function caseInsensitiveEnum<const T extends readonly [string, ...string[]]>(values: T, normalise: (s: string) => string) {
  // The transform has no JSON Schema of its own: the metadata describes it in the OpenAPI document.
  const described = { type: 'string', enum: [...values], description: 'Matched case-insensitively.' };
  return z.unknown().transform((value, ctx): T[number] => {
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must not be null', params: COMMAND });
      return z.NEVER;
    }
    const match = typeof value === 'string' ? values.find((v) => v === normalise(value)) : undefined;
    if (match === undefined) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not one of [${values.join(', ')}]`, params: JSON_PROBLEM });
      return z.NEVER;
    }
    return match;
  }).meta(described);
}

/**
 * Enum value matched case-insensitively (`"read_only"` → `READ_ONLY`, docs/api.md §1.2). An unknown
 * value is a JSON failure (as Jackson fails on it); a missing one `must not be null`.
 */
export function enumOf<const T extends readonly [string, ...string[]]>(values: T) {
  return caseInsensitiveEnum(values, (s) => s.toUpperCase());
}

/** Like `enumOf` but for the lower-case values of Drydock's node filters (`union`, `intersection`). */
export function lowerEnumOf<const T extends readonly [string, ...string[]]>(values: T) {
  return caseInsensitiveEnum(values, (s) => s.toLowerCase());
}

/** Required whole number in `[min, max]` (`@Min @Max`). */
export function intIn(min: number, max: number) {
  return z.int().min(min).max(max);
}

/** Whole number, at least `min`, no upper bound other than the JSON-safe range. */
export function intAtLeast(min: number) {
  return z.int().min(min);
}

/** Primitive boolean: absent means `defaultValue` (Java's primitive default is false). */
export function flag(defaultValue = false) {
  return z.boolean().default(defaultValue);
}

/** `map<string,string>` (env, tags, labels, headers). */
export function stringMap() {
  return z.record(z.string(), z.string());
}

/** List of strings. */
export function stringList() {
  return z.array(z.string());
}

/** `set<T>`: duplicates collapsed, first occurrence order kept. */
export function dedupe<T>(values: T[]): T[] {
  return [...new Set(values)];
}

/**
 * Polymorphic `type` discriminator support: when `type` is absent, use `fallback` (only the
 * executable has one — a missing `executable.type` means DOCKER).
 */
export function withDefaultType(fallback: string) {
  return (value: unknown): unknown =>
    typeof value === 'object' && value !== null && !Array.isArray(value) && (value as { type?: unknown }).type === undefined
      ? { ...value, type: fallback }
      : value;
}
