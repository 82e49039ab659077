/**
 * HOPE's function library (docs/placement.md "Functions"): names and arities are checked when a
 * rule compiles; the bodies run at evaluation on values the evaluator resolved. A function
 * receives its arguments lazily (`HopeArgs`) because some must not fail on a missing path
 * (`pointer.exists`) while others must (`arr.in` of a missing value).
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One argument as a function sees it. */
export interface HopeArgAccess {
  /** The value; a missing or null value is an evaluation error naming the path. */
  value(): Json;
  /** The value, or undefined when a pointer finds nothing. */
  optional(): Json | undefined;
  /** The pointer text when the argument is a pointer. */
  pointer?: string;
  /** How errors name it: the pointer, or the literal. */
  label: string;
}

/** An evaluation failure; its message is the one placement and the dry run report. */
export class HopeEvaluationError extends Error {}

type Impl = (args: HopeArgAccess[], now: Date) => Json;

interface HopeFunction {
  min: number;
  /** Infinity for variadic functions. */
  max: number;
  impl: Impl;
}

function jsonType(value: Json | undefined): string {
  if (value === undefined) return 'MISSING';
  if (value === null) return 'NULL';
  if (Array.isArray(value)) return 'ARRAY';
  if (typeof value === 'object') return 'OBJECT';
  return value.constructor.name.toUpperCase();
}

/** The value of `arg` as a `type` ('NUMBER', 'STRING', 'BOOLEAN'), or HOPE's type-mismatch error. */
export function typed<T extends Json>(arg: HopeArgAccess, type: 'NUMBER' | 'STRING' | 'BOOLEAN' | 'ARRAY'): T {
  const value = arg.value();
  const actual = jsonType(value);
  if (actual !== type) throw new HopeEvaluationError(`Type mismatch at path ${arg.label}. Expected: ${type} Actual: ${actual}`);
  return value as T;
}

const num = (arg: HopeArgAccess) => typed<number>(arg, 'NUMBER');
const str = (arg: HopeArgAccess) => typed<string>(arg, 'STRING');
const arr = (arg: HopeArgAccess) => typed<Json[]>(arg, 'ARRAY');

/** Java's `equals` between JSON values as HOPE compares them: same type and same value. */
export function sameValue(a: Json, b: Json): boolean {
  if (Array.isArray(a) || Array.isArray(b) || (typeof a === 'object' && a !== null) || (typeof b === 'object' && b !== null)) {
    return JSON.stringify(a) === JSON.stringify(b);
  }
  return a === b;
}

/** Java's `String.hashCode`, as `utils.hash_j` gives it for strings. */
function javaHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0;
  return hash;
}

function substring(text: string, start: number, end: number): string {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > text.length || start > end) {
    throw new HopeEvaluationError(`str.substr: begin ${start}, end ${end}, length ${text.length}`);
  }
  return text.slice(start, end);
}

/** Compiled regexes by source: a rule's regex is the same for every candidate it is evaluated on. */
const regexes = new Map<string, RegExp>();
const REGEX_CACHE_LIMIT = 256;

/** Whole-string match, as Java's `String.matches`. */
function matches(regex: string, text: string): boolean {
  if (regex === '') throw new HopeEvaluationError('Regex is empty');
  let compiled = regexes.get(regex);
  if (!compiled) {
    try {
      compiled = new RegExp(`^(?:${regex})$`, 'u');
    } catch (error) {
      throw new HopeEvaluationError(`Invalid regex ${regex}: ${(error as Error).message}`);
    }
    if (regexes.size >= REGEX_CACHE_LIMIT) regexes.delete(regexes.keys().next().value as string);
    regexes.set(regex, compiled);
  }
  return compiled.test(text);
}

/** ISO week fields (Monday first), as java.time gives them in the controller's zone. */
function dayOfYear(now: Date): number {
  const start = new Date(now.getFullYear(), 0, 1);
  return Math.round((new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime() - start.getTime()) / 86_400_000) + 1;
}
const isoDayOfWeek = (now: Date) => ((now.getDay() + 6) % 7) + 1;
function isoWeekOfYear(now: Date): number {
  const thursday = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 4 - isoDayOfWeek(now));
  return Math.floor((dayOfYear(thursday) - 1) / 7) + 1;
}
function weekOfMonth(now: Date): number {
  const firstDow = isoDayOfWeek(new Date(now.getFullYear(), now.getMonth(), 1));
  return Math.floor((now.getDate() + firstDow - 2) / 7) + 1;
}

const fixed = (n: number, impl: Impl): HopeFunction => ({ min: n, max: n, impl });

const FUNCTIONS: Record<string, HopeFunction> = {
  'str.match': fixed(2, ([re, s]) => matches(str(re), str(s))),
  'str.len': fixed(1, ([s]) => str(s).length),
  'str.lower': fixed(1, ([s]) => str(s).toLowerCase()),
  'str.upper': fixed(1, ([s]) => str(s).toUpperCase()),
  'str.substr': { min: 2, max: 3, impl: ([s, b, e]) => { const text = str(s); return substring(text, num(b), e ? num(e) : text.length); } },
  'pointer.exists': fixed(1, ([p]) => { const v = p.optional(); return v !== undefined && v !== null; }),
  'path.exists': fixed(1, ([p]) => { const v = p.optional(); return v !== undefined && v !== null; }),
  'arr.in': fixed(2, ([v, a]) => { const value = v.value(); return arr(a).some((x) => sameValue(x, value)); }),
  'arr.not_in': fixed(2, ([v, a]) => { const value = v.value(); return !arr(a).some((x) => sameValue(x, value)); }),
  'arr.contains_any': fixed(2, ([a, b]) => { const all = arr(a); return arr(b).some((x) => all.some((y) => sameValue(x, y))); }),
  'arr.contains_all': fixed(2, ([a, b]) => { const all = arr(a); return arr(b).every((x) => all.some((y) => sameValue(x, y))); }),
  'arr.is_empty': fixed(1, ([a]) => arr(a).length === 0),
  'arr.len': fixed(1, ([a]) => arr(a).length),
  'math.add': { min: 1, max: Infinity, impl: (args) => args.reduce((sum, a) => sum + num(a), 0) },
  'math.prod': { min: 1, max: Infinity, impl: (args) => args.reduce((product, a) => product * num(a), 1) },
  'math.sub': fixed(2, ([a, b]) => num(a) - num(b)),
  'math.div': fixed(2, ([a, b]) => { const d = num(b); if (d === 0) throw new HopeEvaluationError('Denominator is zero!!'); return num(a) / d; }),
  'math.mod': fixed(2, ([a, b]) => { const d = num(b); if (d === 0) throw new HopeEvaluationError('Denominator is zero!!'); return num(a) % d; }),
  'math.abs': fixed(1, ([a]) => Math.abs(num(a))),
  'math.ceil': fixed(1, ([a]) => Math.ceil(num(a))),
  'math.floor': fixed(1, ([a]) => Math.floor(num(a))),
  'math.negate': fixed(1, ([a]) => -num(a)),
  'date.now': fixed(0, (_a, now) => now.getTime()),
  'sys.epoch': fixed(0, (_a, now) => now.getTime()),
  'date.year': fixed(0, (_a, now) => now.getFullYear()),
  'date.month_of_year': fixed(0, (_a, now) => now.getMonth() + 1),
  'date.day_of_month': fixed(0, (_a, now) => now.getDate()),
  'date.day_of_week': fixed(0, (_a, now) => isoDayOfWeek(now)),
  'date.day_of_year': fixed(0, (_a, now) => dayOfYear(now)),
  'date.hour_of_day': fixed(0, (_a, now) => now.getHours()),
  'date.minute_of_hour': fixed(0, (_a, now) => now.getMinutes()),
  'date.second_of_minute': fixed(0, (_a, now) => now.getSeconds()),
  'date.week_of_month': fixed(0, (_a, now) => weekOfMonth(now)),
  'date.week_of_year': fixed(0, (_a, now) => isoWeekOfYear(now)),
  'utils.hash_j': fixed(1, ([v]) => { const value = v.value(); return javaHash(typeof value === 'string' ? value : JSON.stringify(value)); }),
};

/** Functions HOPE has that corral does not evaluate: compile errors naming them. */
const UNSUPPORTED = new Set(['utils.hash_m128']);

/** HOPE's compile-time message for an unknown name or a wrong argument count, or undefined. */
export function functionArityProblem(name: string, count: number): string | undefined {
  if (UNSUPPORTED.has(name)) return `Function '${name}' is not supported by corral`;
  const fn = FUNCTIONS[name];
  if (!fn) return `Unknown function '${name}'`;
  if (count < fn.min || count > fn.max) return `No matching function named ${name} that accepts ${count} params.`;
  return undefined;
}

/** Runs a (compile-checked) function. */
export function callFunction(name: string, args: HopeArgAccess[], now: Date): Json {
  return FUNCTIONS[name].impl(args, now);
}
