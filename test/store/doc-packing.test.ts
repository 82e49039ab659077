/** Finished records are packed (src/controller/store/doc-packing.ts): smaller, and read back exactly; plain JSON stays readable. */
import { describe, expect, it } from 'vitest';
import type { OperationRecord } from '../../src/api/operation-types.ts';
import type { TaskRecord } from '../../src/api/task-types.ts';
import { deflateRawSync } from 'node:zlib';
import { DICTIONARY_OF_PACKED, packDoc, unpackDoc } from '../../src/controller/store/doc-packing.ts';
import { deflateOptions } from '../../src/controller/store/record-zlib.ts';
import { operationRow, taskRow } from '../../src/controller/store/store-rows.ts';

const finishedTask = {
  sourceAppName: 'bench', taskId: 't-5', instanceId: 'TI-3cab01cc-5974-4f63-9dcb-d38457289fd1',
  spec: { sourceAppName: 'bench', taskId: 't-5', executable: { type: 'PROCESS', command: '/bin/true' }, resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 1 }] },
  opSpec: { timeout: { count: 60, unit: 'seconds' }, parallelism: 1, failureStrategy: 'STOP' },
  hostname: 'vm', state: 'STOPPED', errorMessage: '', metadata: {}, created: 1796557196119, updated: 1796557196782, createdBy: 'admin',
  events: [
    { time: 1796557196119, type: 'Accepted', message: 'Accepted from admin' },
    { time: 1796557196119, type: 'Placed', message: 'Placed on executor vm (vm)' },
    { time: 1796557196152, type: 'Received', message: 'Task received by the executor' },
    { time: 1796557196757, type: 'Started', message: 'Started by the process driver' },
    { time: 1796557196758, type: 'Terminated', message: 'Exit code 0' },
  ],
  placementDeadline: 1796557256119, executorId: 'ea4949cb-0b9e-3047-b8fe-9a19c4e62e90',
  resources: [{ type: 'CPU', cores: { 0: [5] } }, { type: 'MEMORY', memoryInMB: { 0: 1 } }],
  runningSince: 1796557196782, taskResult: { status: 'SUCCESSFUL', exitCode: 0 },
};

describe('doc packing', () => {
  it('packs a finished task to well under a fifth of its JSON and reads it back exactly', () => {
    const packed = packDoc(finishedTask, true);
    expect(packed.startsWith('~1')).toBe(true);
    expect(packed.length).toBeLessThan(JSON.stringify(finishedTask).length / 5);
    expect(unpackDoc(packed)).toEqual(finishedTask);
  });

  it('leaves active records as JSON, and reads JSON written before packing existed', () => {
    expect(packDoc(finishedTask, false)).toBe(JSON.stringify(finishedTask));
    expect(unpackDoc(JSON.stringify(finishedTask))).toEqual(finishedTask);
  });

  it('refuses a packing it does not know, saying so', () => {
    expect(() => unpackDoc('~9abc')).toThrow('packed in an unknown format (~9)');
  });

  it('reads back a record far larger than one output chunk, packed as zlib packs it with its default chunk', () => {
    // The packers use a small output chunk (store/record-zlib.ts) so their buffers come from
    // Node's pool; the bytes must be the very ones a default chunk gives, or stored rows change.
    const big = { ...finishedTask, errorMessage: Array.from({ length: 3_000 }, (_, i) => `line ${i}: ${(i * 7919).toString(36)}`).join('\n') };
    const packed = packDoc(big, true);
    expect(packed.length).toBeGreaterThan(4 * 1024);
    expect(unpackDoc(packed)).toEqual(big);
    const withDefaultChunk = deflateRawSync(JSON.stringify(big), { ...deflateOptions(DICTIONARY_OF_PACKED), chunkSize: undefined });
    expect(packed.slice(2)).toBe(withDefaultChunk.toString('base64'));
  });

  it('stores task and task-operation rows packed from their first write, app operations as JSON', () => {
    const running = { ...finishedTask, state: 'RUNNING', taskResult: undefined } as unknown as TaskRecord;
    expect(taskRow(running).doc.startsWith('~1')).toBe(true);
    expect(unpackDoc(taskRow(running).doc)).toEqual(JSON.parse(JSON.stringify(running)));
    const operation = {
      operationId: 'OP-1', type: 'CREATE', target: { kind: 'task', sourceAppName: 'bench', taskId: 't-5' }, state: 'RUNNING',
      created: 1, updated: 1, messages: [],
    } as unknown as OperationRecord;
    expect(operationRow(operation).doc.startsWith('~1')).toBe(true);
    expect(operationRow({ ...operation, target: { kind: 'app', appId: 'a-1' }, state: 'COMPLETED', finished: 2 } as unknown as OperationRecord).doc.startsWith('{')).toBe(true);
  });
});
