/**
 * Runs a zod schema over an untrusted request body and turns its issues into Drove's two error
 * classes (docs/api.md §1.4):
 *
 * - `JsonValidationError` — what Jackson would refuse while *parsing*: a wrong JSON type, an
 *   unknown or missing `type` discriminator, an unknown enum value, an unparsable duration, bad
 *   Base64, a body that is not an object.
 * - `CommandValidationError` — what Hibernate Validator would refuse *after* parsing: a missing
 *   required field, an out-of-range number, an empty required list, a pattern mismatch. Messages
 *   are `<property path> <constraint message>`, e.g. `opSpec.parallelism must be greater than or
 *   equal to 1`.
 *
 * Every problem is collected; when both kinds occur only the JSON ones are reported, because
 * Drove parses before it validates.
 */
import type { z } from 'zod';
import { CommandValidationError, JsonValidationError } from '../../common/errors.ts';

/** Which error class an issue belongs to; set on custom issues through `params.kind`. */
export type IssueKind = 'json' | 'command';

/** A translated issue. */
export interface Problem {
  kind: IssueKind;
  message: string;
}

type Issue = z.core.$ZodIssue;

/** `['spec', 'exposedPorts', 0, 'port']` → `spec.exposedPorts[0].port`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/** Deepest nesting accepted in a body; real specs stay under ten levels. */
export const MAX_BODY_DEPTH = 64;

/**
 * Absent ≡ null (docs/api.md §1.2): drops null-valued object properties at any depth so every schema
 * only has to deal with `undefined`. Nulls inside arrays are kept (they are reported per element).
 * `__proto__` keys are dropped (ignored like any unknown property) so a body cannot swap the
 * prototype of the copies. Throws JsonValidationError beyond MAX_BODY_DEPTH rather than
 * overflowing the stack.
 */
export function stripNulls(value: unknown, depth = 0): unknown {
  if (depth > MAX_BODY_DEPTH) throw new JsonValidationError(`JSON nesting is deeper than ${MAX_BODY_DEPTH} levels`);
  if (Array.isArray(value)) return value.map((item) => stripNulls(item, depth + 1));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (inner !== null && key !== '__proto__') out[key] = stripNulls(inner, depth + 1);
  }
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Describes a JSON value for an error message: `string "4"`, `number 1.5`, `array`, … */
export function describeJson(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

const EXPECTED_NAMES: Record<string, string> = {
  string: 'a JSON string',
  // every numeric field of the model is integral (int or long)
  number: 'a JSON integer',
  int: 'a JSON integer',
  boolean: 'a JSON boolean (true or false)',
  array: 'a JSON array',
  object: 'a JSON object',
  record: 'a JSON object',
};

function prefixed(path: string, message: string, separator: string): string {
  return path ? `${path}${separator}${message}` : message;
}

function isMissing(issue: Issue): boolean {
  const input = (issue as { input?: unknown }).input;
  return input === undefined || input === null;
}

/** Translates one zod issue into Drove's classification and message. */
export function translateIssue(issue: Issue): Problem {
  const path = formatPath(issue.path);
  const params = (issue as { params?: { kind?: IssueKind } }).params;
  const command = (message: string): Problem => ({ kind: 'command', message: prefixed(path, message, ' ') });
  const json = (message: string, separator = ': '): Problem => ({ kind: 'json', message: prefixed(path, message, separator) });
  switch (issue.code) {
    case 'custom':
      return params?.kind === 'command' ? command(issue.message) : json(issue.message);
    case 'invalid_type': {
      if (isMissing(issue)) return command(issue.expected === 'string' || issue.expected === 'array' ? 'must not be empty' : 'must not be null');
      const input = (issue as { input?: unknown }).input;
      if (issue.expected === 'int' && typeof input === 'number') return json(`expected a whole number, got ${input}`);
      return json(`expected ${EXPECTED_NAMES[issue.expected] ?? issue.expected}, got ${describeJson(input)}`);
    }
    case 'invalid_value':
      if (isMissing(issue)) return command('must not be null');
      return json(`${JSON.stringify((issue as { input?: unknown }).input)} is not one of [${issue.values.map(String).join(', ')}]`);
    case 'invalid_union': {
      const discriminator = (issue as { discriminator?: string }).discriminator;
      const options = (issue as { options?: unknown[] }).options ?? [];
      if (discriminator) {
        const input = (issue as { input?: unknown }).input;
        const value = isPlainObject(input) ? input[discriminator] : undefined;
        const expected = `expected one of [${options.map(String).join(', ')}] (upper-case, case-sensitive)`;
        if (value === undefined) return json(`is missing; ${expected}`, ' ');
        return json(`${JSON.stringify(value)} is not a known type; ${expected}`, ' ');
      }
      return json(issue.message);
    }
    case 'too_small':
      if (issue.origin === 'array' || issue.origin === 'string' || issue.origin === 'set') {
        return command(Number(issue.minimum) <= 1 ? 'must not be empty' : `size must be at least ${issue.minimum}`);
      }
      if (Number(issue.minimum) <= Number.MIN_SAFE_INTEGER) return json('number is out of range');
      return command(`must be greater than or equal to ${issue.minimum}`);
    case 'too_big':
      if (issue.origin === 'array' || issue.origin === 'set') return command(`size must be between 0 and ${issue.maximum}`);
      if (issue.origin === 'string') return command(`length must be between 0 and ${issue.maximum}`);
      if (Number(issue.maximum) >= Number.MAX_SAFE_INTEGER) return json('number is out of range');
      return command(`must be less than or equal to ${issue.maximum}`);
    case 'invalid_format':
      return command(issue.message);
    default:
      return json(issue.message);
  }
}

/** Drops zod's "outside the safe integer range" issue when the same field also failed a range check. */
function withoutRedundantIntIssues(issues: readonly Issue[]): Issue[] {
  const ranged = new Set(
    issues.filter((i) => (i.code === 'too_big' || i.code === 'too_small') && i.origin === 'number').map((i) => formatPath(i.path)),
  );
  return issues.filter((i) => !((i.code === 'too_big' || i.code === 'too_small') && i.origin === 'int' && ranged.has(formatPath(i.path))));
}

/** Translates issues; throws JsonValidationError if any JSON problem, else CommandValidationError if any. */
export function throwProblems(problems: readonly Problem[]): void {
  const unique = (kind: IssueKind) => [...new Set(problems.filter((p) => p.kind === kind).map((p) => p.message))];
  const jsonProblems = unique('json');
  if (jsonProblems.length > 0) throw new JsonValidationError(jsonProblems);
  const commandProblems = unique('command');
  if (commandProblems.length > 0) throw new CommandValidationError(commandProblems);
}

/**
 * Parses `body` with `schema`. `what` names the body in the "not an object" message
 * (e.g. `Application operation`). Throws the Drove error classes; never returns half a value.
 */
export function runSchema<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  if (!isPlainObject(body)) {
    throw new JsonValidationError(`${what} must be a JSON object, got ${describeJson(body)}`);
  }
  const result = schema.safeParse(stripNulls(body), { reportInput: true });
  if (result.success) return result.data;
  throwProblems(withoutRedundantIntIssues(result.error.issues).map(translateIssue));
  // safeParse failed without a translatable issue: still a client error, never a 500.
  throw new JsonValidationError(`${what} is invalid`);
}
