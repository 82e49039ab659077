/**
 * Evaluates a compiled HOPE rule against a JSON document (the SchedulingInfo of placement),
 * with HOPE's semantics (docs/placement.md "Evaluation"): `==`/`!=` compare same-typed scalars
 * (`"8"` is not `8`), `>`…`<=` need JSON numbers, `&` `|` `^` JSON booleans; a missing or null
 * value is `Missing value at path: …`; `&&`/`||` short-circuit left to right, `&`/`|` do not.
 */
import type { HopeArg, HopeExpr, HopeValue } from './hope-ast.ts';
import { callFunction, HopeEvaluationError, sameValue, typed, type HopeArgAccess, type Json } from './hope-functions.ts';

/** Pointers split into unescaped keys, once per pointer text (rules are evaluated per candidate). */
const pointerKeys = new Map<string, string[]>();

function keysOf(pointer: string): string[] {
  let keys = pointerKeys.get(pointer);
  if (!keys) {
    keys = pointer.slice(1).split('/').map((raw) => raw.replaceAll('~1', '/').replaceAll('~0', '~'));
    if (pointerKeys.size >= 1024) pointerKeys.clear();
    pointerKeys.set(pointer, keys);
  }
  return keys;
}

/** RFC 6901 lookup; undefined when any step is missing. */
export function resolvePointer(document: Json, pointer: string): Json | undefined {
  if (pointer === '') return document;
  let current: Json | undefined = document;
  for (const key of keysOf(pointer)) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(key)) return undefined;
      current = current[Number(key)];
    } else if (current !== null && typeof current === 'object') {
      current = Object.hasOwn(current, key) ? current[key] : undefined;
    } else {
      return undefined;
    }
    if (current === undefined) return undefined;
  }
  return current;
}

interface Scope {
  document: Json;
  now: Date;
}

function label(value: HopeValue): string {
  switch (value.kind) {
    case 'pointer':
      return value.pointer;
    case 'path':
      return value.path;
    case 'call':
      return `${value.name}(…)`;
    case 'literal':
      return JSON.stringify(value.value);
  }
}

function access(arg: HopeArg, scope: Scope): HopeArgAccess {
  if (arg.kind === 'array') {
    const items = () => arg.items.map((item) => access(item, scope).value());
    return { value: items, optional: items, label: '[…]' };
  }
  const name = label(arg);
  const optional = (): Json | undefined => {
    switch (arg.kind) {
      case 'literal':
        return arg.value;
      case 'pointer':
        return resolvePointer(scope.document, arg.pointer);
      case 'path':
        throw new HopeEvaluationError(`JSON paths are not supported: ${arg.path}`);
      case 'call':
        return callFunction(arg.name, arg.args.map((a) => access(a, scope)), scope.now);
    }
  };
  const value = (): Json => {
    const found = optional();
    if (found === undefined || found === null) throw new HopeEvaluationError(`Missing value at path: ${name}`);
    return found;
  };
  return { value, optional, label: name, pointer: arg.kind === 'pointer' ? arg.pointer : undefined };
}

/** A scalar for `==`/`!=`: objects and arrays count as missing, as in HOPE. */
function scalar(arg: HopeArgAccess): Json {
  const value = arg.value();
  if (typeof value === 'object') throw new HopeEvaluationError(`Missing value at path: ${arg.label}`);
  return value;
}

function evaluate(expr: HopeExpr, scope: Scope): boolean {
  switch (expr.kind) {
    case 'chain':
      return expr.combiner === 'AND'
        ? expr.terms.every((term) => evaluate(term, scope))
        : expr.terms.some((term) => evaluate(term, scope));
    case 'not':
      return !typed<boolean>(access(expr.value, scope), 'BOOLEAN');
    case 'compare': {
      const left = access(expr.left, scope);
      const right = access(expr.right, scope);
      switch (expr.op) {
        case '==':
          return sameValue(scalar(left), scalar(right));
        case '!=':
          return !sameValue(scalar(left), scalar(right));
        case '>':
          return typed<number>(left, 'NUMBER') > typed<number>(right, 'NUMBER');
        case '>=':
          return typed<number>(left, 'NUMBER') >= typed<number>(right, 'NUMBER');
        case '<':
          return typed<number>(left, 'NUMBER') < typed<number>(right, 'NUMBER');
        case '<=':
          return typed<number>(left, 'NUMBER') <= typed<number>(right, 'NUMBER');
        case '&': {
          const a = typed<boolean>(left, 'BOOLEAN');
          const b = typed<boolean>(right, 'BOOLEAN');
          return a && b;
        }
        case '|': {
          const a = typed<boolean>(left, 'BOOLEAN');
          const b = typed<boolean>(right, 'BOOLEAN');
          return a || b;
        }
      }
    }
  }
}

/** The rule's value for `document`; throws HopeEvaluationError with HOPE's message. */
export function evaluateHope(expr: HopeExpr, document: Json, now: Date = new Date()): boolean {
  return evaluate(expr, { document, now });
}
