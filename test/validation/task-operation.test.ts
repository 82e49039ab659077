/**
 * Task operations (docs/api.md §3.1) and corral's TaskSpec extras: node filters (docs/sources.md#drydock, camelCase)
 * and maxRunDuration.
 */
import { describe, expect, it } from 'vitest';
import { parseNodeFilter, parseTaskOperation, parseTaskSpec } from '../../src/api/validation/index.ts';
import { commandErrors, jsonErrors, OP_SPEC, taskCreate, taskSpec } from './fixtures.ts';

const kill = (fields: Record<string, unknown> = {}) => ({ type: 'KILL', sourceAppName: 'orders', taskId: 'rollup-42', opSpec: { ...OP_SPEC }, ...fields });

describe('KILL', () => {
  it('parses', () => {
    expect(parseTaskOperation(kill())).toMatchObject({ type: 'KILL', sourceAppName: 'orders', taskId: 'rollup-42' });
  });

  it('requires non-empty ids matching the id pattern, and an opSpec', () => {
    expect(commandErrors(() => parseTaskOperation(kill({ sourceAppName: '', taskId: 'a/b', opSpec: undefined }))).sort()).toEqual([
      'opSpec must not be null', 'sourceAppName must not be empty', 'taskId must match "[A-Za-z0-9_-]*"',
    ]);
  });
});

describe('CREATE', () => {
  it('parses the TaskSpec and opSpec', () => {
    const op = parseTaskOperation(taskCreate());
    expect(op.type === 'CREATE' && op.spec.taskId).toBe('rollup-42');
  });

  it('validates the spec ids and required fields', () => {
    const spec = { ...taskSpec(), sourceAppName: 'orders app', taskId: undefined, resources: [] };
    expect(commandErrors(() => parseTaskOperation(taskCreate(spec))).sort()).toEqual([
      'spec.resources must not be empty', 'spec.sourceAppName must match "[A-Za-z0-9_-]*"', 'spec.taskId must not be empty',
    ]);
    expect(commandErrors(() => parseTaskOperation({ type: 'CREATE', opSpec: OP_SPEC }))).toEqual(['spec must not be null']);
  });

  it('ignores app-only fields in a TaskSpec', () => {
    const spec = parseTaskSpec({ ...taskSpec(), exposedPorts: 'junk', healthcheck: 5 });
    expect(spec).not.toHaveProperty('exposedPorts');
    expect(spec).not.toHaveProperty('healthcheck');
  });
});

describe('maxRunDuration', () => {
  it('parses a positive duration', () => {
    expect(parseTaskSpec({ ...taskSpec(), maxRunDuration: '2h' }).maxRunDuration).toEqual({ count: 2, unit: 'hours' });
    expect(parseTaskSpec(taskSpec()).maxRunDuration).toBeUndefined();
  });

  it('rejects zero (command) and numbers or bad strings (JSON)', () => {
    expect(commandErrors(() => parseTaskSpec({ ...taskSpec(), maxRunDuration: '0s' }))).toEqual(['maxRunDuration must be a positive duration']);
    expect(jsonErrors(() => parseTaskSpec({ ...taskSpec(), maxRunDuration: 3600 }))[0]).toMatch(/^maxRunDuration: /);
    expect(jsonErrors(() => parseTaskSpec({ ...taskSpec(), maxRunDuration: '-1s' }))[0]).toMatch(/^maxRunDuration: Invalid duration/);
    expect(jsonErrors(() => parseTaskSpec({ ...taskSpec(), maxRunDuration: '1h30m' }))[0]).toMatch(/^maxRunDuration: /);
  });
});

describe('nodeFilter', () => {
  const filter = {
    filterSetType: 'UNION',
    filterSet: [
      { filterType: 'intersection', nodeLabels: { color: 'yellow', type: 'physical' } },
      { filterType: 'Intersection', nodeNames: ['a'], nodeTags: ['t'], rackNames: ['r1'], rackLabels: { zone: 'z' } },
    ],
  };

  it('parses the Drydock document\'s example in camelCase with case-insensitive values', () => {
    expect(parseTaskSpec({ ...taskSpec(), nodeFilter: filter }).nodeFilter).toEqual({
      filterSetType: 'union',
      filterSet: [
        { filterType: 'intersection', nodeLabels: { color: 'yellow', type: 'physical' } },
        { filterType: 'intersection', nodeNames: ['a'], nodeTags: ['t'], rackNames: ['r1'], rackLabels: { zone: 'z' } },
      ],
    });
    expect(parseNodeFilter(filter).filterSet).toHaveLength(2);
  });

  it('requires filterSetType, a non-empty filterSet and each filterType', () => {
    expect(commandErrors(() => parseNodeFilter({ filterSet: [] })).sort()).toEqual(['filterSet must not be empty', 'filterSetType must not be null']);
    expect(commandErrors(() => parseTaskSpec({ ...taskSpec(), nodeFilter: { filterSetType: 'union', filterSet: [{ nodeNames: ['a'] }] } }))).toEqual([
      'nodeFilter.filterSet[0].filterType must not be null',
    ]);
  });

  it('rejects unknown combination values and wrong types as JSON failures', () => {
    expect(jsonErrors(() => parseNodeFilter({ filterSetType: 'xor', filterSet: [{ filterType: 'union' }] }))).toEqual([
      'filterSetType: "xor" is not one of [union, intersection]',
    ]);
    expect(jsonErrors(() => parseNodeFilter({ filterSetType: 'union', filterSet: [{ filterType: 'union', nodeNames: 'a' }] }))).toEqual([
      'filterSet[0].nodeNames: expected a JSON array, got string "a"',
    ]);
    expect(jsonErrors(() => parseNodeFilter('union'))).toEqual(['Node filter must be a JSON object, got string "union"']);
  });
});
