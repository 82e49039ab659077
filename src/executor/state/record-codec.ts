/**
 * How workload records are written to and read from the journal (workload-store.ts): one JSON
 * object per line,
 *
 *   {"save": WorkloadRecord}      the newest version of a workload's record
 *   {"forget": "<instanceId>"}    the controller has persisted its outcome; drop the record
 *
 * and, for data dirs of older versions, one `state.json` per workload holding the bare record.
 * A record is restored only when its version is this one's and its id is a plain identifier
 * that matches where it was found (no path traversal through a crafted id).
 */
import { isIdentifier } from '../../common/ids.ts';
import type { WorkloadRecord } from './workload-record.ts';
import { RECORD_VERSION } from './workload-record.ts';

/** One journal line, decoded. `unreadable`: torn by a crash mid-append, or not a journal line. */
export type JournalEntry = { save: WorkloadRecord } | { forget: string } | { unreadable: true };

export function saveLine(record: WorkloadRecord): string {
  return `${JSON.stringify({ save: record })}\n`;
}

export function forgetLine(instanceId: string): string {
  return `${JSON.stringify({ forget: instanceId })}\n`;
}

/** Decodes a journal line (without its newline). Does not check the record: see `isRestorable`. */
export function parseJournalLine(line: string): JournalEntry {
  let entry: { save?: WorkloadRecord; forget?: unknown };
  try {
    entry = JSON.parse(line);
  } catch {
    return { unreadable: true };
  }
  if (typeof entry?.forget === 'string') return { forget: entry.forget };
  if (entry?.save && typeof entry.save === 'object') return { save: entry.save };
  return { unreadable: true };
}

/** Decodes an older version's `state.json`; throws on text that is not JSON. */
export function parseStateFile(text: string): WorkloadRecord {
  return JSON.parse(text) as WorkloadRecord;
}

/** Whether `record`, found under `id`, may be restored: this version's, with that plain identifier. */
export function isRestorable(record: WorkloadRecord, id: unknown): boolean {
  return record?.version === RECORD_VERSION && typeof id === 'string' && isIdentifier(id) && record.instanceId === id;
}
