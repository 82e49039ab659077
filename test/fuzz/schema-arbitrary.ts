/**
 * fast-check arbitraries of hostile request bodies, generated from the API's zod schemas
 * (src/api/validation) through `z.toJSONSchema`: a document that follows the schema (so requests
 * get past the outer checks and reach the deep ones), then zero to three mutations at random
 * places in it — a node replaced by something hostile (a wrong type, a boundary or absurd
 * number, a huge or strange unicode string, deep nesting, prototype-polluting keys), a field
 * deleted, or an unknown one added. Enum values are transforms zod cannot describe (`{}` in the
 * JSON schema), so they are drawn by property name from the API's enums (ENUMS_BY_KEY).
 */
import fc from 'fast-check';
import { z } from 'zod';

type JsonSchema = {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  default?: unknown;
};

/** Words the API's enums and discriminators use (any case is tried: enums are case-insensitive). */
const ENUM_WORDS = [
  'CREATE', 'SCALE', 'SUSPEND', 'DESTROY', 'KILL', 'START_INSTANCES', 'STOP_INSTANCES', 'REPLACE_INSTANCES', 'RECOVER',
  'PROCESS', 'DOCKER', 'HTTP', 'HTTPS', 'TCP', 'CMD', 'CPU', 'MEMORY', 'STOP', 'ROLLBACK', 'GRACEFUL', 'FORCE',
  'READ_ONLY', 'READ_WRITE', 'LOCAL', 'RSYSLOG', 'SERVICE', 'COMPUTATION', 'ANY', 'ONE_PER_HOST', 'MATCH_TAG', 'NO_TAG',
  'COMPOSITE', 'MAX_N_PER_HOST', 'RULE_BASED', 'INLINE', 'EXECUTOR_LOCAL_FILE', 'CONTROLLER_HTTP_FETCH', 'EXECUTOR_HTTP_FETCH',
  'GET', 'POST', 'PUT', 'DIRECT', 'DETAILED', 'AND', 'OR', 'union', 'intersection', 'hostnames', 'tags', 'labels',
];

const HUGE = 'A'.repeat(200_000);

/** Values that are wrong almost anywhere, or right but at an edge. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null, true, false, 0, -0, -1, 1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, -(2 ** 53) - 2, 1e308, -1e308, 0.5, 5e-324,
    '', ' ', '0', '-1', '1e309', 'NaN', 'null', '../../etc/passwd', '%00', '\u0000', 'zoë', '🦀\u202e\ufeff', '\ud800',
    '5 minutes', '-1s', '1.5s', 'PT5M', '$2b$10$', '<script>', "'; DROP TABLE tasks; --", HUGE,
    [], [[]], {}, { __proto__: { admin: true } }, { constructor: { prototype: { polluted: true } } }, { toString: 1 },
  ),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.double(),
  fc.integer(),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 70n }).map((n) => Number(n)),
  fc.integer({ min: 20, max: 400 }).map((depth) => nest(depth)),
  fc.jsonValue({ maxDepth: 3 }),
);

function nest(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

const enumWord = fc.constantFrom(...ENUM_WORDS).chain((w) => fc.constantFrom(w, w.toLowerCase(), `${w} `));

/** Enum values of the spec schemas by the property that holds them (docs/api.md §6). */
const ENUMS_BY_KEY: Record<string, string[]> = {
  failureStrategy: ['STOP', 'ROLLBACK'],
  mode: ['GRACEFUL', 'FORCE', 'READ_WRITE', 'READ_ONLY', 'ALL', 'ONE'],
  type: ['SERVICE', 'COMPUTATION', 'HTTP', 'HTTPS', 'TCP', 'UDP'],
  protocol: ['HTTP', 'HTTPS'],
  verb: ['GET', 'POST', 'PUT'],
  permissions: ['READ_ONLY', 'WRITE_ONLY', 'MKNOD_ONLY', 'ALL', 'READ_WRITE'],
  filterSetType: ['union', 'intersection'],
  filterType: ['union', 'intersection'],
  ruleType: ['HOPE', 'MVEL'],
  combiner: ['AND', 'OR'],
};

/** Properties that hold durations (strings in Drove's grammar, docs/api.md §1.8.2). */
const DURATION_KEYS = new Set(['timeout', 'interval', 'initialDelay', 'maxRunDuration', 'dockerPullTimeout', 'connectionTimeout',
  'operationTimeout', 'waitBeforeKill', 'deadline']);
const DURATIONS = ['1 second', '5 minutes', '30s', '0 seconds', '100ms', '2 days'];

/** Values the JSON schema cannot describe (transforms, preprocessors) by the property that holds them. */
const OPAQUE_BY_KEY: Record<string, unknown[]> = {
  placementPolicy: [{ type: 'ANY' }, { type: 'ONE_PER_HOST' }, { type: 'MATCH_TAG', tag: 'x' }, { type: 'MAX_N_PER_HOST', max: 2 }],
  data: ['aGk=', 'SGVsbG8='],
  command: ['/bin/true', '/bin/sh'],
};

/** A value for a `{}` node (an enum transform, or anything) under property `key`. */
function unknownNode(key: string | undefined): fc.Arbitrary<unknown> {
  if (key !== undefined && ENUMS_BY_KEY[key]) return fc.constantFrom(...ENUMS_BY_KEY[key]);
  if (key !== undefined && OPAQUE_BY_KEY[key]) return fc.constantFrom(...OPAQUE_BY_KEY[key]);
  if (key !== undefined && DURATION_KEYS.has(key)) return fc.constantFrom(...DURATIONS);
  return fc.oneof(enumWord, fc.jsonValue({ maxDepth: 2 }));
}

const ABSENT = Symbol('absent');

function stringArbitrary(schema: JsonSchema, key?: string): fc.Arbitrary<string> {
  if (key !== undefined && DURATION_KEYS.has(key)) return fc.constantFrom(...DURATIONS);
  if (key !== undefined && typeof OPAQUE_BY_KEY[key]?.[0] === 'string') return fc.constantFrom(...OPAQUE_BY_KEY[key] as string[]);
  const maxLength = Math.min(schema.maxLength ?? 40, 40);
  if (schema.pattern) {
    try {
      return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= (schema.minLength ?? 0) && s.length <= (schema.maxLength ?? Infinity));
    } catch {
      // a pattern fast-check cannot invert: plain strings below
    }
  }
  return fc.oneof(
    fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.max(maxLength, schema.minLength ?? 0) }),
    fc.constantFrom('1 second', '5 minutes', '30s', '/bin/true', '/tmp', 'output.log', 'main', 'TEST_APP', 'aGk='),
  );
}

function numberArbitrary(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -1000);
  const max = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : 100_000);
  const bounded = integer
    ? fc.integer({ min: Math.max(min, Number.MIN_SAFE_INTEGER), max: Math.min(max, Number.MAX_SAFE_INTEGER) })
    : fc.double({ min, max, noNaN: true });
  return fc.oneof({ weight: 4, arbitrary: bounded }, { weight: 1, arbitrary: fc.constantFrom(min, max) });
}

/** A document following one JSON schema node (`key`: the property holding it; `depth` bounds recursion). */
export function arbitraryFor(schema: JsonSchema | boolean | undefined, key?: string, depth = 0): fc.Arbitrary<unknown> {
  if (schema === undefined || schema === true || schema === false || depth > 8) return unknownNode(key);
  if (key !== undefined && (OPAQUE_BY_KEY[key] || DURATION_KEYS.has(key)) && schema.type !== 'object') return unknownNode(key);
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => arbitraryFor(s, key, depth + 1)));
  if (schema.allOf?.length) return arbitraryFor(Object.assign({}, ...schema.allOf) as JsonSchema, key, depth + 1);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const properties = schema.properties ?? {};
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, child] of Object.entries(properties)) record[name] = arbitraryFor(child, name, depth + 1);
      // Optional properties are left out more often than not: each one is another way to fail early.
      const required = new Set(schema.required ?? []);
      const maybe: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, arbitrary] of Object.entries(record)) {
        maybe[name] = required.has(name) ? arbitrary : fc.oneof({ weight: 3, arbitrary: fc.constant(ABSENT) }, { weight: 1, arbitrary });
      }
      return fc.record(maybe).map((value) => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== ABSENT)));
    }
    case 'array': {
      const minLength = schema.minItems ?? 0;
      return fc.array(arbitraryFor(schema.items, key, depth + 1), { minLength, maxLength: Math.max(minLength, Math.min(schema.maxItems ?? 3, 3)) });
    }
    case 'string':
      return stringArbitrary(schema, key);
    case 'integer':
      return numberArbitrary(schema, true);
    case 'number':
      return numberArbitrary(schema, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return unknownNode(key);
  }
}

type Mutation = { at: number; kind: 'replace' | 'delete' | 'add'; value: unknown; name: string };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom<Mutation['kind']>('replace', 'replace', 'replace', 'delete', 'add'),
  value: hostileValue,
  name: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'type', 'unknownField'), fc.string({ maxLength: 12 })),
});

/** Every container (object or array) in `value` with the keys in it: the places a mutation can hit. */
function places(value: unknown, found: [Record<string, unknown>, string][] = []): [Record<string, unknown>, string][] {
  if (value === null || typeof value !== 'object') return found;
  for (const key of Object.keys(value)) {
    found.push([value as Record<string, unknown>, key]);
    places((value as Record<string, unknown>)[key], found);
  }
  return found;
}

/** Applies `mutations` in order to a fresh copy of `document`. */
function mutate(document: unknown, mutations: Mutation[]): unknown {
  if (mutations.length === 0) return document;
  const root = { doc: structuredClone(document) as unknown };
  for (const m of mutations) {
    const spots = places(root);
    if (spots.length === 0) {
      root.doc = m.value; // the document itself was deleted by an earlier mutation
      continue;
    }
    const [container, key] = spots[m.at % spots.length];
    if (m.kind === 'replace') container[key] = m.value;
    else if (m.kind === 'delete') {
      if (Array.isArray(container)) container.splice(Number(key), 1);
      else delete container[key];
    } else {
      const target = container[key];
      if (target !== null && typeof target === 'object' && !Array.isArray(target)) Object.defineProperty(target, m.name, { value: m.value, enumerable: true, writable: true, configurable: true });
      else container[key] = m.value;
    }
  }
  return root.doc;
}

/** Hostile documents for a zod schema of a request body: valid ones, mutated up to three times. */
export function bodyArbitrary(schema: z.ZodType): fc.Arbitrary<unknown> {
  const valid = arbitraryFor(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema);
  const mutations = fc.oneof({ weight: 2, arbitrary: fc.constant<Mutation[]>([]) }, { weight: 3, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) });
  return fc.tuple(valid, mutations).map(([document, list]) => mutate(document, list));
}
