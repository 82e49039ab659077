/**
 * Cluster events as rows of the event log (migration 0006). A trivial task leaves nine events
 * behind for the hour they are kept; as JSON each was ~350 bytes, a 36-character id and its
 * index on top, about 4–5 KB per task. A row now holds each part of an event once, compactly:
 *
 *   id     the event id: its 16 bytes when it is a (lower-case, hyphenated) UUID, as every id
 *          the event bus makes is; any other id is kept in `doc` and this column holds the first
 *          16 bytes of its SHA-256, so the column still dedupes re-appended ids.
 *   time   the event's `time` (not repeated in `doc`)
 *   type   the type's number in EVENT_TYPE_CODES, for the `types` filter (the type itself is
 *          in `doc`, so a reader never depends on the numbering to read an event)
 *   doc    the rest of the event, `{"type":…,"metadata":{…}}` (plus `id` when it is not a UUID,
 *          `time` when it is not a whole millisecond),
 *          as bytes:
 *            `{…`           UTF-8 JSON of the whole event: rows copied from before 0006
 *            0x01, n, n×16 bytes, deflated
 *                           the n UUIDs in the text, in order, as their bytes (random hex does
 *                           not deflate), then the text with each of them as \x01, deflated
 *                           (raw, 4 KiB window) with dictionary 1 below
 *
 * Dictionary 1 and EVENT_TYPE_CODES are frozen: stored rows depend on them byte for byte. A
 * better dictionary is dictionary 2 behind marker 0x02, and the reader keeps understanding 0x01;
 * a new event type takes the next free number.
 */
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { deflateOptions, inflateOptions } from './record-zlib.ts';
import type { ClusterEvent } from '../../api/cluster-types.ts';

const MARKER_1 = 0x01;
const JSON_START = 0x7b; // '{'

/** Event type → its number in the `type` column. Append only; never renumber or reuse. */
export const EVENT_TYPE_CODES: Readonly<Record<ClusterEvent['type'], number>> = Object.freeze({
  APP_STATE_CHANGE: 1,
  INSTANCE_STATE_CHANGE: 2,
  TASK_STATE_CHANGE: 3,
  LOCAL_SERVICE_STATE_CHANGE: 4,
  LOCAL_SERVICE_INSTANCE_STATE_CHANGE: 5,
  EXECUTOR_ADDED: 6,
  EXECUTOR_REMOVED: 7,
  EXECUTOR_BLACKLIST_REQUESTED: 8,
  EXECUTOR_BLACKLISTED: 9,
  EXECUTOR_UN_BLACKLISTED: 10,
  MAINTENANCE_MODE_SET: 11,
  MAINTENANCE_MODE_REMOVED: 12,
  LEADERSHIP_ACQUIRED: 13,
  LEADERSHIP_LOST: 14,
  EXECUTOR_LOST: 15,
  EXECUTOR_RECONNECTED: 16,
  OPERATION_STATE_CHANGE: 17,
  TASK_EVENT: 18,
});

/** The number of an event type, or undefined for a string that is no event type. */
export function eventTypeCode(type: string): number | undefined {
  return Object.hasOwn(EVENT_TYPE_CODES, type) ? EVENT_TYPE_CODES[type as ClusterEvent['type']] : undefined;
}

const TYPES_BY_CODE = new Map(Object.entries(EVENT_TYPE_CODES).map(([type, code]) => [code, type as ClusterEvent['type']]));

/** The event type numbered `code`, or undefined (0: a row copied from before 0006 whose type had no number). */
export function eventTypeOf(code: number): ClusterEvent['type'] | undefined {
  return TYPES_BY_CODE.get(code);
}

// What the event bus's events repeat (task-view.ts taskEventMetadata, operation-journal.ts
// stateChangeMetadata, the instance and app events), as `{"type":…,"metadata":{…}}` without
// `id` and `time` and with each UUID as its placeholder (\x01); the most frequent last, where
// deflate reaches them most cheaply.
const DICTIONARY_1 = Buffer.from([
  '{"type":"LEADERSHIP_ACQUIRED","metadata":{"HOSTNAME":"","PORT":4000}}',
  '{"type":"LOCAL_SERVICE_INSTANCE_STATE_CHANGE","metadata":{"SERVICE_ID":"","SERVICE_NAME":"","INSTANCE_ID":"SI-\x01","EXECUTOR_ID":"\x01","CREATED":17,"CURRENT_STATE":"',
  '{"type":"APP_STATE_CHANGE","metadata":{"APP_ID":"","APP_NAME":"","APP_VERSION":"1","EXECUTABLE":"","CPU_COUNT":1,"MEMORY":128,"PLACEMENT_POLICY":"ANY","PORTS":"http:8080:http","CURRENT_INSTANCES":0,"CURRENT_STATE":"MONITORING"}}',
  '{"type":"EXECUTOR_ADDED","metadata":{"EXECUTOR_ID":"\x01","HOSTNAME":"","PORT":3000}}',
  '"SCALING_REQUESTED""UNREADY""READY""STOPPING""STOPPED""LOST""QUEUED""CANCELLED""FAILED"',
  '{"type":"OPERATION_STATE_CHANGE","metadata":{"OPERATION_ID":"OP-\x01","OPERATION_TYPE":"SCALE","CURRENT_STATE":"COMPLETED","TARGET_KIND":"app","CREATED_BY":"admin","CREATED":17,"APP_ID":""}}',
  '{"type":"INSTANCE_STATE_CHANGE","metadata":{"APP_ID":"","APP_NAME":"","INSTANCE_ID":"AI-\x01","CURRENT_STATE":"PENDING","CREATED":17,"EXECUTOR_ID":"\x01","EXECUTOR_HOST":"","PORTS":""}}',
  '"PROVISIONING""STARTING""HEALTHY""RUNNING""DEPROVISIONING"',
  '{"type":"OPERATION_STATE_CHANGE","metadata":{"OPERATION_ID":"OP-\x01","OPERATION_TYPE":"CREATE","CURRENT_STATE":"RUNNING","TARGET_KIND":"task","CREATED_BY":"admin","CREATED":17,"APP_NAME":"","TASK_ID":""}}',
  '{"type":"TASK_STATE_CHANGE","metadata":{"APP_NAME":"","TASK_ID":"","INSTANCE_ID":"TI-\x01","EXECUTABLE":"/bin/true","CURRENT_STATE":"PENDING","CREATED":17}}',
  '","CURRENT_STATE":"RUN_COMPLETED","CREATED":17',
  ',"EXECUTOR_ID":"\x01","EXECUTOR_HOST":"","RESULT_STATUS":"SUCCESSFUL","RESULT_EXIT_CODE":0}}',
].join(''));

const DEFLATE_1 = deflateOptions(DICTIONARY_1);
const INFLATE_1 = inflateOptions(DICTIONARY_1);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Every UUID in a JSON text: random hex deflate cannot shrink, kept as its 16 bytes instead. */
const UUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** Stands for a UUID in the deflated text: JSON.stringify never leaves a raw control character. */
const UUID_PLACEHOLDER = '\x01';
const MAX_UUIDS = 255;

/** An event as the columns of its row. */
export interface PackedEvent {
  id: Uint8Array;
  time: number;
  type: number;
  doc: Uint8Array;
}

/** The row of `event`; throws for a type that has no number (a new type must be added above). */
export function packEvent(event: ClusterEvent): PackedEvent {
  const type = eventTypeCode(event.type);
  if (type === undefined) throw new Error(`event type ${event.type} has no number in EVENT_TYPE_CODES (event-packing.ts); add it there`);
  // What the columns cannot give back exactly stays in `doc`: an id that is not a UUID, a time
  // that is not a whole millisecond (the column keeps the millisecond to filter and sort on).
  const rest: Partial<ClusterEvent> = { type: event.type };
  if (!UUID.test(event.id)) rest.id = event.id;
  if (!Number.isSafeInteger(event.time)) rest.time = event.time;
  rest.metadata = event.metadata;
  const uuids: string[] = [];
  const text = JSON.stringify(rest).replace(UUIDS, (uuid) => {
    if (uuids.length === MAX_UUIDS) return uuid;
    uuids.push(uuid);
    return UUID_PLACEHOLDER;
  });
  const deflated = deflateRawSync(text, DEFLATE_1);
  const doc = Buffer.allocUnsafe(2 + uuids.length * 16 + deflated.length);
  doc[0] = MARKER_1;
  doc[1] = uuids.length;
  uuids.forEach((uuid, i) => doc.write(uuid.replaceAll('-', ''), 2 + i * 16, 'hex'));
  deflated.copy(doc, 2 + uuids.length * 16);
  return { id: eventIdKey(event.id), time: Math.trunc(event.time), type, doc };
}

/** The `id` column for an event id (see the header). */
export function eventIdKey(id: string): Uint8Array {
  if (UUID.test(id)) return Buffer.from(id.replaceAll('-', ''), 'hex');
  return createHash('sha256').update(id, 'utf8').digest().subarray(0, 16);
}

/** The event of a stored row. */
export function unpackEvent(row: { id: Uint8Array; time: number | string | bigint; doc: Uint8Array }): ClusterEvent {
  const doc = Buffer.from(row.doc.buffer, row.doc.byteOffset, row.doc.byteLength);
  if (doc[0] === JSON_START) return JSON.parse(doc.toString('utf8')) as ClusterEvent;
  if (doc[0] !== MARKER_1) throw new Error(`a stored event is packed in an unknown format (${doc[0]}); is this controller older than the one that wrote it?`);
  const count = doc[1];
  const parts = inflateRawSync(doc.subarray(2 + count * 16), INFLATE_1).toString('utf8').split(UUID_PLACEHOLDER);
  let text = parts[0];
  for (let i = 1; i < parts.length; i++) text += uuidOf(doc.subarray(2 + 16 * (i - 1), 2 + 16 * i)) + parts[i];
  const rest = JSON.parse(text) as Omit<ClusterEvent, 'id' | 'time'> & { id?: string; time?: number };
  // Drove's key order: type, id, time, metadata.
  return { type: rest.type, id: rest.id ?? uuidOf(row.id), time: rest.time ?? Number(row.time), metadata: rest.metadata };
}

function uuidOf(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
