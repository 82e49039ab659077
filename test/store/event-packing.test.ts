/** Events as compact rows (src/controller/store/event-packing.ts): much smaller, read back exactly, old JSON rows still read. */
import { describe, expect, it } from 'vitest';
import { ALL_EVENT_TYPES, type ClusterEvent } from '../../src/api/cluster-types.ts';
import { EVENT_TYPE_CODES, eventIdKey, packEvent, unpackEvent } from '../../src/controller/store/event-packing.ts';

// As the bus emitted them in bench:memory (a /bin/true task, its operation, an app instance).
const taskEvent: ClusterEvent = {
  type: 'TASK_STATE_CHANGE', id: '6c73189f-0550-4eba-af35-1791ab97cf38', time: 1796569031166,
  metadata: {
    APP_NAME: 'mem', TASK_ID: 't-599', INSTANCE_ID: 'TI-e7046e8f-ee7b-4648-bd4f-e92543757a06', EXECUTABLE: '/bin/true',
    CURRENT_STATE: 'STOPPED', CREATED: 1796569031112, EXECUTOR_ID: '00fdb369-4384-34d8-b1cf-f192225dd2eb',
    EXECUTOR_HOST: 'bench-0001', RESULT_STATUS: 'SUCCESSFUL', RESULT_EXIT_CODE: 0,
  },
};
const operationEvent: ClusterEvent = {
  type: 'OPERATION_STATE_CHANGE', id: 'e6f878ea-cd03-462e-9bfa-48fa295aed82', time: 1796568314322,
  metadata: {
    OPERATION_ID: 'OP-7070d288-bb9c-4568-bda7-994ce4d5b9df', OPERATION_TYPE: 'CREATE', CURRENT_STATE: 'COMPLETED',
    TARGET_KIND: 'task', CREATED_BY: 'admin', CREATED: 1796568314312, APP_NAME: 'mem', TASK_ID: 't-599',
  },
};
const instanceEvent: ClusterEvent = {
  type: 'INSTANCE_STATE_CHANGE', id: '4a5c614a-215e-47af-a0a2-6ca2720a6f94', time: 1796568314432,
  metadata: {
    APP_ID: 'mem0-1', APP_NAME: 'mem0', INSTANCE_ID: 'AI-40029f83-52b8-4bbf-9590-ab39dba4e1ad', CURRENT_STATE: 'HEALTHY',
    CREATED: 1796568314407, EXECUTOR_ID: '00fdb369-4384-34d8-b1cf-f192225dd2eb', EXECUTOR_HOST: 'bench-0001', PORTS: 'http:33857:http',
  },
};

/** The whole row as stored: every column's bytes. */
const rowBytes = (event: ClusterEvent) => {
  const row = packEvent(event);
  return row.id.length + row.doc.length + 8 + 2;
};

describe('event packing', () => {
  it('stores a bus event in well under a third of its JSON and reads it back exactly, key order included', () => {
    for (const event of [taskEvent, operationEvent, instanceEvent]) {
      const json = JSON.stringify(event);
      expect(rowBytes(event)).toBeLessThan(json.length / 3);
      expect(JSON.stringify(unpackEvent(packEvent(event)))).toBe(json);
    }
  });

  it('keeps an id that is not a UUID in the doc, and still gives each id its own 16-byte key', () => {
    const odd: ClusterEvent = { ...taskEvent, id: 'legacy-1' };
    const upper: ClusterEvent = { ...taskEvent, id: taskEvent.id.toUpperCase() };
    for (const event of [odd, upper]) expect(JSON.stringify(unpackEvent(packEvent(event)))).toBe(JSON.stringify(event));
    const keys = [taskEvent.id, 'legacy-1', taskEvent.id.toUpperCase()].map((id) => Buffer.from(eventIdKey(id)).toString('hex'));
    expect(new Set(keys).size).toBe(3);
    expect(keys.every((key) => key.length === 32)).toBe(true);
    expect(keys[0]).toBe(taskEvent.id.replaceAll('-', ''));
  });

  it('keeps a time that is not a whole millisecond exactly, the column holding its millisecond', () => {
    const event: ClusterEvent = { ...taskEvent, time: 1796569031166.25 };
    const row = packEvent(event);
    expect(row.time).toBe(1796569031166);
    expect(JSON.stringify(unpackEvent(row))).toBe(JSON.stringify(event));
  });

  it('round-trips metadata with control characters, non-ASCII text and UUID-looking values', () => {
    const event: ClusterEvent = {
      ...instanceEvent,
      metadata: { ERROR: 'line\u0001one\nzwei — drei ✓', PORTS: '', X: `${instanceEvent.id}${instanceEvent.id}`, N: -1.5 },
    };
    expect(JSON.stringify(unpackEvent(packEvent(event)))).toBe(JSON.stringify(event));
  });

  it('round-trips an event far larger than one output chunk (store/record-zlib.ts)', () => {
    const event: ClusterEvent = { ...instanceEvent, metadata: { ...instanceEvent.metadata, ERROR: Array.from({ length: 2_000 }, (_, i) => `step ${i} ${(i * 104729).toString(36)}`).join('; ') } };
    const row = packEvent(event);
    expect(row.doc.length).toBeGreaterThan(4 * 1024);
    expect(JSON.stringify(unpackEvent(row))).toBe(JSON.stringify(event));
  });

  it('reads a row whose doc is the whole event as JSON (rows from before migration 0006)', () => {
    const doc = new TextEncoder().encode(JSON.stringify(taskEvent));
    expect(unpackEvent({ id: eventIdKey(taskEvent.id), time: 0, doc })).toEqual(taskEvent);
  });

  it('refuses a doc format it does not know, saying so', () => {
    expect(() => unpackEvent({ id: eventIdKey('x'), time: 0, doc: Uint8Array.of(9, 1, 2) })).toThrow('packed in an unknown format (9)');
  });

  it('numbers every event type, each with its own number', () => {
    expect(Object.keys(EVENT_TYPE_CODES).sort()).toEqual([...ALL_EVENT_TYPES].sort());
    expect(new Set(Object.values(EVENT_TYPE_CODES)).size).toBe(ALL_EVENT_TYPES.size);
    expect(() => packEvent({ ...taskEvent, type: 'NO_SUCH_TYPE' as ClusterEvent['type'] })).toThrow(/NO_SUCH_TYPE has no number/);
  });
});
