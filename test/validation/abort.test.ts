/**
 * Abort requests (corral, docs/sources.md#contrail): ids (empty = every active one), mode GRACEFUL|FORCE
 * case-insensitive with GRACEFUL as default, optional deadline duration.
 */
import { describe, expect, it } from 'vitest';
import { parseOperationAbort, parseTaskAbort } from '../../src/api/validation/index.ts';
import { commandErrors, jsonErrors } from './fixtures.ts';

describe('operation abort', () => {
  it('defaults to every active operation, GRACEFUL, no deadline', () => {
    expect(parseOperationAbort({})).toEqual({ operationIds: [], mode: 'GRACEFUL' });
    expect(parseOperationAbort(undefined)).toEqual({ operationIds: [], mode: 'GRACEFUL' });
  });

  it('parses ids, a case-insensitive mode and a deadline', () => {
    expect(parseOperationAbort({ operationIds: ['op-1', 'op-2', 'op-1'], mode: 'force' })).toEqual({ operationIds: ['op-1', 'op-2'], mode: 'FORCE' });
    expect(parseOperationAbort({ mode: 'Graceful', deadline: '30s' })).toEqual({
      operationIds: [], mode: 'GRACEFUL', deadline: { count: 30, unit: 'seconds' },
    });
  });

  it('rejects an unknown mode, a negative or numeric deadline, and empty ids', () => {
    expect(jsonErrors(() => parseOperationAbort({ mode: 'kill' }))).toEqual(['mode: "kill" is not one of [GRACEFUL, FORCE]']);
    expect(jsonErrors(() => parseOperationAbort({ deadline: '-5s' }))[0]).toMatch(/^deadline: Invalid duration/);
    expect(jsonErrors(() => parseOperationAbort({ deadline: 30 }))[0]).toMatch(/^deadline: /);
    expect(commandErrors(() => parseOperationAbort({ operationIds: [''] }))).toEqual(['operationIds[0] must not be empty']);
    expect(jsonErrors(() => parseOperationAbort([]))).toEqual(['Abort request must be a JSON object, got an array']);
  });
});

describe('task abort', () => {
  it('parses task identities and mode', () => {
    expect(parseTaskAbort({ tasks: [{ sourceAppName: 'orders', taskId: 't-1' }], mode: 'FORCE' })).toEqual({
      tasks: [{ sourceAppName: 'orders', taskId: 't-1' }], mode: 'FORCE',
    });
    expect(parseTaskAbort({ deadline: '1m' })).toEqual({ tasks: [], mode: 'GRACEFUL', deadline: { count: 1, unit: 'minutes' } });
  });

  it('validates task identities', () => {
    expect(commandErrors(() => parseTaskAbort({ tasks: [{ sourceAppName: 'orders' }, { sourceAppName: 'a b', taskId: 'x' }] }))).toEqual([
      'tasks[0].taskId must not be empty', 'tasks[1].sourceAppName must match "[A-Za-z0-9_-]*"',
    ]);
  });
});
