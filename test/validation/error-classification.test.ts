/**
 * docs/api.md §1.2 / §1.4 request rules: unknown properties ignored, absent ≡ null, enum values
 * case-insensitive, discriminators exact, JSON vs command failures, every problem collected,
 * JSON problems winning over command ones.
 */
import { describe, expect, it } from 'vitest';
import { parseAppOperation, parseAppSpec, parseTaskOperation, parseTaskSpec } from '../../src/api/validation/index.ts';
import { appCreate, appSpec, commandErrors, jsonErrors, OP_SPEC, taskCreate, taskSpec } from './fixtures.ts';

const scale = (fields: Record<string, unknown>) => ({ type: 'SCALE', appId: 'orders-3', requiredInstances: 2, opSpec: { ...OP_SPEC }, ...fields });

describe('request rules', () => {
  it('ignores unknown properties anywhere', () => {
    const spec = { ...appSpec(), colour: 'blue', executable: { type: 'DOCKER', url: 'x:1', dockerPullTimeout: '1m', extra: [1] } };
    const op = parseAppOperation({ ...appCreate(spec), whatever: { nested: true } });
    expect(op).not.toHaveProperty('whatever');
    expect(op.type === 'CREATE' && op.spec).not.toHaveProperty('colour');
    expect(op.type === 'CREATE' && op.spec.executable).toEqual({ type: 'DOCKER', url: 'x:1', dockerPullTimeout: { count: 1, unit: 'minutes' } });
  });

  it('treats null like absent: optional → default, required → must not be null', () => {
    expect(parseAppOperation(scale({ requiredInstances: null }))).toMatchObject({ requiredInstances: 0 });
    expect(parseTaskSpec({ ...taskSpec(), volumes: null, env: null }).volumes).toBeUndefined();
    expect(commandErrors(() => parseAppOperation(scale({ opSpec: null })))).toEqual(['opSpec must not be null']);
    expect(commandErrors(() => parseAppOperation(scale({ opSpec: undefined })))).toEqual(['opSpec must not be null']);
  });

  it('accepts enum values in any case and returns them upper-case', () => {
    const op = parseAppOperation(scale({ opSpec: { timeout: '1m', parallelism: 2, failureStrategy: 'rollback' } }));
    expect(op.type === 'SCALE' && op.opSpec.failureStrategy).toBe('ROLLBACK');
    const spec = parseAppSpec({ ...appSpec(), type: 'service', volumes: [{ pathInContainer: '/d', pathOnHost: '/m', mode: 'read_only' }] });
    expect(spec.type).toBe('SERVICE');
    expect(spec.volumes?.[0].mode).toBe('READ_ONLY');
  });

  it('rejects an unknown enum value as a JSON failure', () => {
    expect(jsonErrors(() => parseAppOperation(scale({ opSpec: { ...OP_SPEC, failureStrategy: 'RETRY' } })))).toEqual([
      'opSpec.failureStrategy: "RETRY" is not one of [STOP, ROLLBACK]',
    ]);
  });

  it('matches discriminators exactly and upper-case', () => {
    expect(jsonErrors(() => parseAppOperation(scale({ type: 'SCALE_INSTANCES' })))).toEqual([
      'type "SCALE_INSTANCES" is not a known type; expected one of [CREATE, START_INSTANCES, SCALE, SUSPEND, STOP_INSTANCES, REPLACE_INSTANCES, DESTROY, RECOVER] (upper-case, case-sensitive)',
    ]);
    expect(jsonErrors(() => parseAppOperation(scale({ type: 'scale' })))[0]).toMatch(/^type "scale" is not a known type/);
    expect(jsonErrors(() => parseTaskOperation({ opSpec: OP_SPEC }))[0]).toMatch(/^type is missing; expected one of \[CREATE, KILL\]/);
    const badPolicy = { ...taskSpec(), placementPolicy: { type: 'any' } };
    expect(jsonErrors(() => parseTaskOperation(taskCreate(badPolicy)))[0]).toMatch(/^spec\.placementPolicy\.type "any" is not a known type/);
  });

  it('rejects a body that is not a JSON object', () => {
    for (const body of [[], 'CREATE', 42, true, null, undefined]) {
      expect(jsonErrors(() => parseAppOperation(body))[0]).toMatch(/^Application operation must be a JSON object, got /);
    }
    expect(jsonErrors(() => parseTaskSpec([1]))).toEqual(['Task spec must be a JSON object, got an array']);
  });

  it('classifies wrong JSON types as JSON failures naming the field', () => {
    expect(jsonErrors(() => parseAppOperation(scale({ requiredInstances: '2' })))).toEqual([
      'requiredInstances: expected a JSON integer, got string "2"',
    ]);
    expect(jsonErrors(() => parseAppOperation(scale({ requiredInstances: 1.5 })))).toEqual(['requiredInstances: expected a whole number, got 1.5']);
    expect(jsonErrors(() => parseAppOperation(scale({ appId: 7 })))).toEqual(['appId: expected a JSON string, got number 7']);
    expect(jsonErrors(() => parseAppOperation(scale({ opSpec: 'fast' })))).toEqual(['opSpec: expected a JSON object, got string "fast"']);
    expect(jsonErrors(() => parseAppOperation({ ...scale({}), type: 'STOP_INSTANCES', instanceIds: ['AI-1'], skipRespawn: 'yes' }))).toEqual([
      'skipRespawn: expected a JSON boolean (true or false), got string "yes"',
    ]);
    expect(jsonErrors(() => parseTaskSpec({ ...taskSpec(), env: ['A=1'] }))).toEqual(['env: expected a JSON object, got an array']);
    expect(jsonErrors(() => parseTaskSpec({ ...taskSpec(), env: { A: 1 } }))).toEqual(['env.A: expected a JSON string, got number 1']);
  });

  it('classifies constraint failures as command failures shaped "<path> <message>"', () => {
    expect(commandErrors(() => parseAppOperation(scale({ opSpec: { ...OP_SPEC, parallelism: 0 } })))).toEqual([
      'opSpec.parallelism must be greater than or equal to 1',
    ]);
    expect(commandErrors(() => parseAppSpec({ ...appSpec(), name: 'orders v3' }))).toEqual(['name must match "[A-Za-z0-9_-]*"']);
    expect(commandErrors(() => parseAppOperation(appCreate({ ...appSpec(), name: 'a.b' })))).toEqual(['spec.name must match "[A-Za-z0-9_-]*"']);
    expect(commandErrors(() => parseAppOperation(appCreate({ ...appSpec(), resources: [] })))).toEqual(['spec.resources must not be empty']);
    expect(commandErrors(() => parseAppOperation(appCreate({ ...appSpec(), resources: undefined })))).toEqual(['spec.resources must not be empty']);
    expect(commandErrors(() => parseAppOperation(appCreate({ ...appSpec(), name: '' })))).toEqual(['spec.name must not be empty']);
  });

  it('collects every problem, not just the first', () => {
    const spec = { ...appSpec(), name: 'bad name', version: '', exposedPorts: [{ name: 'http', port: 70000, type: 'HTTP' }], resources: [] };
    const errors = commandErrors(() => parseAppOperation({ ...appCreate(spec), instances: 5000, opSpec: { timeout: '1m', parallelism: 513 } }));
    expect(errors.sort()).toEqual([
      'instances must be less than or equal to 2048',
      'opSpec.failureStrategy must not be null',
      'opSpec.parallelism must be less than or equal to 512',
      'spec.exposedPorts[0].port must be less than or equal to 65535',
      'spec.name must match "[A-Za-z0-9_-]*"',
      'spec.resources must not be empty',
      'spec.version must not be empty',
    ]);
    const json = jsonErrors(() => parseAppOperation(scale({ appId: 1, opSpec: { timeout: 30, parallelism: '1', failureStrategy: 'STOP' } })));
    expect(json).toHaveLength(3);
  });

  it('reports only JSON problems when both kinds occur (Drove parses before it validates)', () => {
    const errors = jsonErrors(() => parseAppOperation(scale({ requiredInstances: 99999, opSpec: { ...OP_SPEC, timeout: '5 minutes please' } })));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^opSpec\.timeout: /);
  });

  it('reports a huge number against its range, not as a parse failure', () => {
    expect(commandErrors(() => parseAppOperation(scale({ requiredInstances: 1e20 })))).toEqual(['requiredInstances must be less than or equal to 2048']);
    expect(jsonErrors(() => parseTaskSpec({ ...taskSpec(), resources: [{ type: 'MEMORY', sizeInMB: 1e300 }] }))).toEqual([
      'resources[0].sizeInMB: number is out of range',
    ]);
  });

  it('reports nulls inside lists per element', () => {
    expect(commandErrors(() => parseAppOperation({ ...scale({}), type: 'STOP_INSTANCES', instanceIds: ['AI-1', null] }))).toEqual([
      'instanceIds[1] must not be empty',
    ]);
  });
});

describe('hostile bodies', () => {
  it('rejects absurd nesting as a JSON failure instead of overflowing the stack', () => {
    let policy: Record<string, unknown> = { type: 'ANY' };
    for (let i = 0; i < 5000; i++) policy = { type: 'COMPOSITE', policies: [policy] };
    expect(jsonErrors(() => parseTaskSpec({ ...taskSpec(), placementPolicy: policy }))).toEqual(['JSON nesting is deeper than 64 levels']);
  });

  it('ignores __proto__ keys', () => {
    const body = JSON.parse('{"__proto__": {"type": "KILL"}, "type": "SCALE", "appId": "a-1", "requiredInstances": 1, "opSpec": {"timeout": "1m", "parallelism": 1, "failureStrategy": "STOP"}}');
    expect(parseAppOperation(body)).toMatchObject({ type: 'SCALE', appId: 'a-1' });
    expect(jsonErrors(() => parseAppOperation(JSON.parse('{"__proto__": {"type": "RECOVER", "appId": "x"}}')))[0]).toMatch(/^type is missing/);
  });
});
