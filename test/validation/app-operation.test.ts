/**
 * Application operations (docs/api.md §2.2, §2.3): per-type fields, defaults and limits.
 */
import { describe, expect, it } from 'vitest';
import { parseAppOperation } from '../../src/api/validation/index.ts';
import { MAX_INSTANCES } from '../../src/api/validation/instance-limits.ts';
import { appCreate, commandErrors, jsonErrors, OP_SPEC } from './fixtures.ts';

const op = (type: string, fields: Record<string, unknown> = {}) => ({ type, appId: 'orders-3', opSpec: { ...OP_SPEC }, ...fields });

describe('ClusterOpSpec', () => {
  it('accepts parallelism 1 and 512 and both failure strategies', () => {
    for (const parallelism of [1, 512]) {
      const parsed = parseAppOperation(op('SUSPEND', { opSpec: { timeout: '90 seconds', parallelism, failureStrategy: 'ROLLBACK' } }));
      expect(parsed).toEqual({
        type: 'SUSPEND', appId: 'orders-3', opSpec: { timeout: { count: 90, unit: 'seconds' }, parallelism, failureStrategy: 'ROLLBACK' },
      });
    }
  });

  it('rejects parallelism outside 1–512 and missing fields', () => {
    expect(commandErrors(() => parseAppOperation(op('SUSPEND', { opSpec: { ...OP_SPEC, parallelism: 513 } })))).toEqual([
      'opSpec.parallelism must be less than or equal to 512',
    ]);
    expect(commandErrors(() => parseAppOperation(op('SUSPEND', { opSpec: {} }))).sort()).toEqual([
      'opSpec.failureStrategy must not be null',
      'opSpec.parallelism must not be null',
      'opSpec.timeout must not be null',
    ]);
  });

  it('requires opSpec on every operation but RECOVER', () => {
    for (const type of ['START_INSTANCES', 'SCALE', 'SUSPEND', 'REPLACE_INSTANCES', 'DESTROY']) {
      expect(commandErrors(() => parseAppOperation({ type, appId: 'a-1' }))).toEqual(['opSpec must not be null']);
    }
    expect(commandErrors(() => parseAppOperation({ type: 'CREATE', spec: appCreate().spec }))).toEqual(['opSpec must not be null']);
  });

  it('rejects a numeric or unparsable timeout as a JSON failure', () => {
    expect(jsonErrors(() => parseAppOperation(op('DESTROY', { opSpec: { ...OP_SPEC, timeout: 300 } })))[0]).toMatch(/^opSpec\.timeout: /);
    expect(jsonErrors(() => parseAppOperation(op('DESTROY', { opSpec: { ...OP_SPEC, timeout: '5M' } })))[0]).toMatch(/^opSpec\.timeout: .*5M/);
  });
});

describe('CREATE', () => {
  it('defaults instances to 0 and accepts up to 2048', () => {
    expect(parseAppOperation(appCreate())).toMatchObject({ type: 'CREATE', instances: 0 });
    expect(parseAppOperation({ ...appCreate(), instances: 2048 })).toMatchObject({ instances: 2048 });
  });

  it('rejects instances outside 0–2048 and a missing spec', () => {
    expect(commandErrors(() => parseAppOperation({ ...appCreate(), instances: 2049 }))).toEqual(['instances must be less than or equal to 2048']);
    expect(commandErrors(() => parseAppOperation({ ...appCreate(), instances: -1 }))).toEqual(['instances must be greater than or equal to 0']);
    expect(commandErrors(() => parseAppOperation({ type: 'CREATE', opSpec: OP_SPEC }))).toEqual(['spec must not be null']);
  });
});

describe('START_INSTANCES and SCALE', () => {
  it('accepts the limits and defaults the counts to 0', () => {
    // One limit for deploy and scale (src/api/validation/instance-limits.ts), where Drove caps START_INSTANCES at 1024.
    expect(parseAppOperation(op('START_INSTANCES', { instances: MAX_INSTANCES }))).toMatchObject({ instances: MAX_INSTANCES });
    expect(parseAppOperation(op('START_INSTANCES'))).toMatchObject({ instances: 0 });
    expect(parseAppOperation(op('SCALE', { requiredInstances: 2048 }))).toMatchObject({ requiredInstances: 2048 });
    expect(parseAppOperation(op('SCALE'))).toMatchObject({ requiredInstances: 0 });
  });

  it('rejects counts over the limits', () => {
    expect(commandErrors(() => parseAppOperation(op('START_INSTANCES', { instances: MAX_INSTANCES + 1 })))).toEqual([
      `instances must be less than or equal to ${MAX_INSTANCES}`,
    ]);
    expect(commandErrors(() => parseAppOperation(op('SCALE', { requiredInstances: 2049 })))).toEqual([
      'requiredInstances must be less than or equal to 2048',
    ]);
    expect(commandErrors(() => parseAppOperation(op('SCALE', { requiredInstances: -3 })))).toEqual([
      'requiredInstances must be greater than or equal to 0',
    ]);
  });

  it('requires a non-empty appId', () => {
    expect(commandErrors(() => parseAppOperation(op('SCALE', { appId: '' })))).toEqual(['appId must not be empty']);
    expect(commandErrors(() => parseAppOperation(op('SCALE', { appId: undefined })))).toEqual(['appId must not be empty']);
  });
});

describe('STOP_INSTANCES', () => {
  it('parses ids and defaults skipRespawn to false', () => {
    expect(parseAppOperation(op('STOP_INSTANCES', { instanceIds: ['AI-1', 'AI-2'] }))).toMatchObject({
      instanceIds: ['AI-1', 'AI-2'], skipRespawn: false,
    });
  });

  it('requires a non-empty id list', () => {
    expect(commandErrors(() => parseAppOperation(op('STOP_INSTANCES', { instanceIds: [] })))).toEqual(['instanceIds must not be empty']);
    expect(commandErrors(() => parseAppOperation(op('STOP_INSTANCES')))).toEqual(['instanceIds must not be empty']);
    expect(commandErrors(() => parseAppOperation(op('STOP_INSTANCES', { instanceIds: [''] })))).toEqual(['instanceIds[0] must not be empty']);
  });
});

describe('REPLACE_INSTANCES', () => {
  it('defaults to all instances, collapses duplicate ids and defaults stopFirst to false', () => {
    expect(parseAppOperation(op('REPLACE_INSTANCES'))).toMatchObject({ instanceIds: [], stopFirst: false });
    expect(parseAppOperation(op('REPLACE_INSTANCES', { instanceIds: ['AI-1', 'AI-1', 'AI-2'], stopFirst: true }))).toMatchObject({
      instanceIds: ['AI-1', 'AI-2'], stopFirst: true,
    });
  });

  it('rejects a non-list instanceIds as a JSON failure', () => {
    expect(jsonErrors(() => parseAppOperation(op('REPLACE_INSTANCES', { instanceIds: 'AI-1' })))).toEqual([
      'instanceIds: expected a JSON array, got string "AI-1"',
    ]);
  });
});

describe('DESTROY and RECOVER', () => {
  it('parse with their fields', () => {
    expect(parseAppOperation(op('DESTROY'))).toMatchObject({ type: 'DESTROY', appId: 'orders-3' });
    expect(parseAppOperation({ type: 'RECOVER', appId: 'orders-3', opSpec: { bogus: true } })).toEqual({ type: 'RECOVER', appId: 'orders-3' });
  });

  it('require appId', () => {
    expect(commandErrors(() => parseAppOperation({ type: 'RECOVER' }))).toEqual(['appId must not be empty']);
  });
});
