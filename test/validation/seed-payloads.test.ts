/**
 * The payloads of Drove's Task Operations and Application Operations documents (docs/sources.md#drove-tasks, #drove-apps) exactly as
 * published — the `//(1)!` annotation markers removed — parse into the expected operations.
 * The documents elide `spec` as `{...}`; it is filled with a DOCKER and a PROCESS spec.
 */
import { describe, expect, it } from 'vitest';
import { parseAppOperation, parseTaskOperation } from '../../src/api/validation/index.ts';
import { appSpec, processAppSpec, taskSpec } from './fixtures.ts';

const fiveMinutes = { count: 5, unit: 'minutes' };
const oneMinute = { count: 1, unit: 'minutes' };

/** Parses wire text with a `{...}` spec placeholder replaced by `spec`. */
function wire(text: string, spec?: unknown): unknown {
  return JSON.parse(spec === undefined ? text : text.replace('{...}', JSON.stringify(spec)));
}

describe('Drove task operations', () => {
  it('parses the curl KILL sample', () => {
    const body = wire(`{
"type": "KILL",
"sourceAppName" : "TEST_APP",
"taskId" : "T0012",
"opSpec": {
"timeout": "5m",
"parallelism": 1,
"failureStrategy": "STOP"
}
}`);
    expect(parseTaskOperation(body)).toEqual({
      type: 'KILL', sourceAppName: 'TEST_APP', taskId: 'T0012', opSpec: { timeout: fiveMinutes, parallelism: 1, failureStrategy: 'STOP' },
    });
  });

  const createText = `{
"type": "CREATE",
"spec": {...},
"opSpec": {
"timeout": "5m",
"parallelism": 1,
"failureStrategy": "STOP"
}
}`;

  it('parses CREATE with a DOCKER task spec', () => {
    const op = parseTaskOperation(wire(createText, taskSpec()));
    expect(op.type).toBe('CREATE');
    if (op.type !== 'CREATE') return;
    expect(op.spec.sourceAppName).toBe('orders');
    expect(op.spec.executable).toEqual({ type: 'DOCKER', url: 'registry.local/rollup:1.4', dockerPullTimeout: { count: 100, unit: 'seconds' } });
    expect(op.spec.resources).toEqual([{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 512 }]);
    expect(op.opSpec.timeout).toEqual(fiveMinutes);
  });

  it('parses CREATE with a PROCESS task spec', () => {
    const spec = { ...taskSpec(), sourceAppName: 'TEST_APP', taskId: 'T0012', executable: { type: 'PROCESS', command: '/bin/sh' }, args: ['-c', 'exit 0'] };
    const op = parseTaskOperation(wire(createText, spec));
    expect(op.type === 'CREATE' && op.spec.executable).toEqual({ type: 'PROCESS', command: '/bin/sh' });
    expect(op.type === 'CREATE' && op.spec.args).toEqual(['-c', 'exit 0']);
  });
});

describe('Drove application operations', () => {
  it('parses the curl START_INSTANCES sample', () => {
    const body = wire(`{
    "type": "START_INSTANCES",
    "appId": "TEST_APP-3",
    "instances": 1,
    "opSpec": {
        "timeout": "5m",
        "parallelism": 32,
        "failureStrategy": "STOP"
    }
}`);
    expect(parseAppOperation(body)).toEqual({
      type: 'START_INSTANCES', appId: 'TEST_APP-3', instances: 1, opSpec: { timeout: fiveMinutes, parallelism: 32, failureStrategy: 'STOP' },
    });
  });

  const createText = `{
    "type": "CREATE",
    "spec": {...},
    "opSpec": {
        "timeout": "5m",
        "parallelism": 1,
        "failureStrategy": "STOP"
    }
}`;

  it('parses CREATE with a DOCKER app spec (instances default 0)', () => {
    const op = parseAppOperation(wire(createText, appSpec()));
    expect(op).toMatchObject({ type: 'CREATE', instances: 0, spec: { name: 'orders', version: '3', type: 'SERVICE' } });
  });

  it('parses CREATE with a PROCESS app spec', () => {
    const op = parseAppOperation(wire(createText, processAppSpec()));
    expect(op.type === 'CREATE' && op.spec.executable).toEqual({ type: 'PROCESS', command: '/usr/bin/python3' });
  });

  it('parses START_INSTANCES, SUSPEND, SCALE, REPLACE_INSTANCES, STOP_INSTANCES and DESTROY', () => {
    const samples: [string, unknown][] = [
      [`{
    "type": "START_INSTANCES",
    "appId": "TEST_APP-1",
    "instances": 2,
    "opSpec": {
        "timeout": "5m",
        "parallelism": 32,
        "failureStrategy": "STOP"
    }
}`, { type: 'START_INSTANCES', appId: 'TEST_APP-1', instances: 2, opSpec: { timeout: fiveMinutes, parallelism: 32, failureStrategy: 'STOP' } }],
      [`{
    "type": "SUSPEND",
    "appId": "TEST_APP-1",
    "opSpec": {
        "timeout": "5m",
        "parallelism": 32,
        "failureStrategy": "STOP"
    }
}`, { type: 'SUSPEND', appId: 'TEST_APP-1', opSpec: { timeout: fiveMinutes, parallelism: 32, failureStrategy: 'STOP' } }],
      [`{
    "type": "SCALE",
    "appId": "TEST_APP-1",
    "requiredInstances": 2,
    "opSpec": {
        "timeout": "1m",
        "parallelism": 20,
        "failureStrategy": "STOP"
    }
}`, { type: 'SCALE', appId: 'TEST_APP-1', requiredInstances: 2, opSpec: { timeout: oneMinute, parallelism: 20, failureStrategy: 'STOP' } }],
      [`{
    "type": "REPLACE_INSTANCES",
    "appId": "TEST_APP-1",
    "instanceIds": [],
    "opSpec": {
        "timeout": "1m",
        "parallelism": 20,
        "failureStrategy": "STOP"
    }
}`, { type: 'REPLACE_INSTANCES', appId: 'TEST_APP-1', instanceIds: [], stopFirst: false, opSpec: { timeout: oneMinute, parallelism: 20, failureStrategy: 'STOP' } }],
      [`{
    "type": "STOP_INSTANCES",
    "appId" : "TEST_APP-1",
    "instanceIds" : [ "AI-601d160e-c692-4ddd-8b7f-4c09b30ed02e" ],
    "skipRespawn" : true,
    "opSpec": {
        "timeout": "5m",
        "parallelism": 1,
        "failureStrategy": "STOP"
    }
}`, {
        type: 'STOP_INSTANCES', appId: 'TEST_APP-1', instanceIds: ['AI-601d160e-c692-4ddd-8b7f-4c09b30ed02e'], skipRespawn: true,
        opSpec: { timeout: fiveMinutes, parallelism: 1, failureStrategy: 'STOP' },
      }],
      [`{
    "type": "DESTROY",
    "appId" : "TEST_APP-1",
    "opSpec": {
        "timeout": "5m",
        "parallelism": 2,
        "failureStrategy": "STOP"
    }
}`, { type: 'DESTROY', appId: 'TEST_APP-1', opSpec: { timeout: fiveMinutes, parallelism: 2, failureStrategy: 'STOP' } }],
    ];
    for (const [text, expected] of samples) expect(parseAppOperation(wire(text))).toEqual(expected);
  });

  it('parses RECOVER without an opSpec (docs/api.md §2.3.8)', () => {
    expect(parseAppOperation({ type: 'RECOVER', appId: 'orders-3' })).toEqual({ type: 'RECOVER', appId: 'orders-3' });
  });
});
