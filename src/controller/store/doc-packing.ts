/**
 * Task and task-operation records, packed. A finished task and its operation are kept until
 * retention deletes them and read only now and then, yet as JSON they cost about 1.1 KB each —
 * most of it key names and phrases every record repeats. Packed, they are
 * deflated against a preset dictionary of exactly those repeats and stored as base64 text
 * behind a marker, about 150 bytes each (the text column and both stores stay as they were).
 *
 *   `{…}`        a record as JSON (apps, instances, …, and anything written before packing)
 *   `~1<base64>` a record deflated (raw, 4 KiB window) with dictionary 1
 *
 * Dictionary 1 is frozen: stored rows depend on it byte for byte. A better one is dictionary 2
 * with marker `~2`, and the reader keeps understanding `~1`.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { deflateOptions, inflateOptions } from './record-zlib.ts';

const MARKER_1 = '~1';

// Phrases of finished task and operation records (task-manager.ts, operation-record.ts), the
// most frequent last: deflate reaches the end of the dictionary most cheaply.
const DICTIONARY_1 = Buffer.from([
  '{"kind":"Status","apiVersion":"v1","metadata":{"operationId":"OP-","reason":"","status":"success","details":{"errorCount":0,"messageList":[{"message":"',
  '","error":false,"contextType":"task","context":"',
  '{"operationId":"OP-","type":"CREATE","target":{"kind":"task","sourceAppName":"","taskId":""},"opSpec":{"timeout":{"count":300,"unit":"seconds"},"parallelism":1,"failureStrategy":"STOP"},',
  '"state":"COMPLETED","createdBy":"admin","created":17,"updated":17,"progress":{"total":1,"done":1,"failed":0,"inFlight":0},',
  '"messages":[{"time":17,"message":"Accepted CREATE from admin"},{"time":17,"message":"Started"},{"time":17,"message":"COMPLETED: Task ',
  ' ended STOPPED with result SUCCESSFUL (exit code 0)"}],"request":{"type":"CREATE","sourceAppName":"","taskId":""},"finished":17,"result":',
  '{"sourceAppName":"","taskId":"","instanceId":"TI-","spec":{"sourceAppName":"","taskId":"","executable":{"type":"PROCESS","command":"/bin/true"},',
  '"resources":[{"type":"CPU","count":1},{"type":"MEMORY","sizeInMB":1}]},"opSpec":{"timeout":{"count":60,"unit":"seconds"},"parallelism":1,"failureStrategy":"STOP"},',
  '"hostname":"","state":"STOPPED","errorMessage":"","metadata":{},"created":17,"updated":17,"createdBy":"admin",',
  '"events":[{"time":17,"type":"Accepted","message":"Accepted from admin"},{"time":17,"type":"Placed","message":"Placed on executor "},',
  '{"time":17,"type":"Received","message":"Task received by the executor"},{"time":17,"type":"Started","message":"Started by the process driver"},',
  '{"time":17,"type":"Terminated","message":"Exit code 0"}],"placementDeadline":17,"executorId":"",',
  '"resources":[{"type":"CPU","cores":{"0":[0]}},{"type":"MEMORY","memoryInMB":{"0":1}}],"runningSince":17,"taskResult":{"status":"SUCCESSFUL","exitCode":0}}',
].join(''));

/** The dictionary of `~1` (tests compare packed bytes with zlib's own). */
export const DICTIONARY_OF_PACKED = DICTIONARY_1;
const DEFLATE_1 = deflateOptions(DICTIONARY_1);
const INFLATE_1 = inflateOptions(DICTIONARY_1);

/** A record as stored: packed when `packed`, else plain JSON. */
export function packDoc(record: unknown, packed: boolean): string {
  const json = JSON.stringify(record);
  if (!packed) return json;
  return MARKER_1 + deflateRawSync(json, DEFLATE_1).toString('base64');
}

/** The record of a stored `doc`, packed or not. */
export function unpackDoc<T>(doc: string): T {
  if (doc.charCodeAt(0) !== 0x7e /* ~ */) return JSON.parse(doc) as T;
  if (!doc.startsWith(MARKER_1)) throw new Error(`a stored record is packed in an unknown format (${doc.slice(0, 2)}); is this controller older than the one that wrote it?`);
  return JSON.parse(inflateRawSync(Buffer.from(doc.slice(MARKER_1.length), 'base64'), INFLATE_1).toString('utf8')) as T;
}
