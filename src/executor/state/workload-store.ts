/**
 * Persists workload records in one append-only journal under the data dir, next to one
 * directory per workload for its files:
 *
 *   <dataDir>/workloads.journal                 one JSON object per line (record-codec.ts):
 *                                                 {"save": WorkloadRecord}   the newest version
 *                                                 {"forget": "<instanceId>"} outcome persisted by the controller
 *   <dataDir>/workloads/<instanceId>/           output.log and its rotations
 *   <dataDir>/workloads/<instanceId>/work/      the task directory (working dir, configs)
 *
 *   save ─▶ pending (soon: lazyMs, later: laterMs) ─▶ append ─┐
 *   save(now) ─────────────────────────────────────▶ append ─┼─▶ journal grows ─▶ compaction:
 *   forget ─▶ tombstone (end of the turn) ─────────▶ append ─┘   live records rewritten to a
 *                                                                temp file, renamed over it
 *
 * Why a journal: on the disks this runs on, creating, renaming and unlinking a file are the
 * expensive syscalls (a few hundred µs each under load, far more than writing a few KB),
 * and a state file per workload cost three of them per task (temp file, rename, unlink at
 * `forget`). An append to an open file costs none. Saves are coalesced per workload: routine
 * saves wait a moment (`lazyMs`) so a burst of changes becomes one append; urgent saves (the
 * start is about to happen, a driver handle was obtained, a stop was requested) are appended
 * at once; the final STOPPED record is appended lazily and usually never, because the
 * controller's `forget` comes first. No fsync: records must survive an executor crash (the
 * page cache does), not a power cut; a line torn by one is skipped on restore.
 *
 * Two directories per workload, because every new inode costs as much as those syscalls: the
 * workload's own (its logs) and the task directory inside it. Data dirs written by older
 * versions (`<instanceId>/state.json`, logs in `<instanceId>/logs/`) are read once on restore:
 * the records move into the journal, their state files are removed, and their logs stay where
 * they are.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../common/logger.ts';
import { silentLogger } from '../../common/logger.ts';
import { isIdentifier } from '../../common/ids.ts';
import { forgetLine, isRestorable, parseJournalLine, parseStateFile, saveLine } from './record-codec.ts';
import type { WorkloadRecord } from './workload-record.ts';

/** Where a workload's files are. */
export interface WorkloadPaths {
  /** Its own directory (`<dataDir>/workloads/<instanceId>`). */
  root: string;
  /** Working directory, configs, volume links. */
  taskDir: string;
  /** Where `output.log` and its rotations are: `root`, or `root/logs` in older data dirs. */
  logDir: string;
  logFile: string;
}

/**
 * `now`: write at once. `soon`: routine change, may wait `lazyMs` for company. `later`: nothing
 * is lost if the write never happens (a finished workload is re-finished idempotently after a
 * crash); waits `laterMs`, and a `forget` in the meantime cancels it.
 */
export type SaveUrgency = 'now' | 'soon' | 'later';

export const JOURNAL_FILE = 'workloads.journal';
const LEGACY_STATE_FILE = 'state.json';
const LEGACY_LOG_DIR = 'logs';

interface PendingSave {
  record: WorkloadRecord;
  due: number;
  timer: NodeJS.Timeout;
  done: Promise<void>;
  resolve: () => void;
}

export interface WorkloadStoreOptions {
  lazyMs?: number;
  laterMs?: number;
  /** Records are never written (ephemeral simulation); nothing is restored. */
  memoryOnly?: boolean;
  /** The journal is compacted once it passes this size and four times what its live records take. */
  compactAfterBytes?: number;
}

export class WorkloadStore {
  readonly baseDir: string;
  readonly journalFile: string;
  private readonly logger: Logger;
  private readonly pending = new Map<string, PendingSave>();
  /** Workloads whose newest save is in the journal (not forgotten), with that line's size. */
  private readonly live = new Map<string, { record: WorkloadRecord; bytes: number }>();
  private liveBytes = 0;
  private journalBytes = 0;
  private fd: number | undefined;
  private tombstones: string[] = [];
  private tombstoneTimer: NodeJS.Immediate | undefined;
  /** Restored workloads of older versions, whose logs are in `logs/`. */
  private readonly legacyLayout = new Set<string>();

  private readonly lazyMs: number;
  private readonly laterMs: number;
  private readonly memoryOnly: boolean;
  private readonly compactAfterBytes: number;

  constructor(dataDir: string, logger: Logger = silentLogger, options: WorkloadStoreOptions = {}) {
    this.baseDir = path.join(dataDir, 'workloads');
    this.journalFile = path.join(dataDir, JOURNAL_FILE);
    this.logger = logger;
    this.lazyMs = options.lazyMs ?? 250;
    this.laterMs = options.laterMs ?? 2_000;
    this.memoryOnly = options.memoryOnly ?? false;
    this.compactAfterBytes = options.compactAfterBytes ?? 4 * 1024 * 1024;
  }

  /** Paths of a workload; throws on ids that are not plain identifiers (no traversal). */
  paths(instanceId: string): WorkloadPaths {
    if (!isIdentifier(instanceId)) throw new Error(`invalid workload id ${JSON.stringify(instanceId)}`);
    const root = path.join(this.baseDir, instanceId);
    const logDir = this.legacyLayout.has(instanceId) ? path.join(root, LEGACY_LOG_DIR) : root;
    return { root, taskDir: path.join(root, 'work'), logDir, logFile: path.join(logDir, 'output.log') };
  }

  /** Where a workload's logs are, known or long forgotten; undefined when it has no directory here. */
  async findLogDir(instanceId: string): Promise<string | undefined> {
    const paths = this.paths(instanceId);
    const kind = async (dir: string) => stat(dir).then((s) => s.isDirectory(), () => false);
    if (!(await kind(paths.root))) return undefined;
    const legacy = path.join(paths.root, LEGACY_LOG_DIR);
    return paths.logDir === paths.root && (await kind(legacy)) ? legacy : paths.logDir;
  }

  /**
   * Every persisted record, oldest first: the journal replayed, plus state files of older
   * versions. Unreadable entries are logged and skipped (never crash the agent). The journal
   * is rewritten with exactly these records, so it starts small.
   */
  async loadAll(): Promise<WorkloadRecord[]> {
    if (this.memoryOnly) return [];
    const records = this.replay();
    const legacy = await this.readLegacy(records);
    for (const record of legacy.records) {
      records.set(record.instanceId, record);
      this.legacyLayout.add(record.instanceId);
    }
    for (const record of records.values()) this.live.set(record.instanceId, { record, bytes: 0 });
    if (this.compact()) {
      for (const file of legacy.files) {
        try {
          unlinkSync(file);
        } catch (error) {
          this.logger.warn({ file, err: (error as Error).message }, 'cannot remove a state file moved into the journal');
        }
      }
    }
    return [...records.values()].sort((a, b) => a.created - b.created);
  }

  /**
   * Saves the record. `now` writes before returning; `soon` and `later` wait (`lazyMs`,
   * `laterMs`) so further changes join the same write. Resolves once content at least this new
   * is in the journal (or the workload was forgotten meanwhile, dropping the save).
   */
  save(record: WorkloadRecord, urgency: SaveUrgency = 'soon'): Promise<void> {
    if (this.memoryOnly) return Promise.resolve();
    const pending = this.pending.get(record.instanceId);
    if (urgency === 'now') {
      if (pending) this.settle(pending);
      this.write(record);
      return Promise.resolve();
    }
    const due = Date.now() + (urgency === 'later' ? this.laterMs : this.lazyMs);
    if (pending) {
      pending.record = record;
      if (due < pending.due) {
        clearTimeout(pending.timer);
        pending.due = due;
        pending.timer = setTimeout(() => this.fire(pending), due - Date.now());
      }
      return pending.done;
    }
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const fresh: PendingSave = { record, due, done, resolve, timer: setTimeout(() => this.fire(fresh), due - Date.now()) };
    this.pending.set(record.instanceId, fresh);
    return done;
  }

  /** Writes every pending save and tombstone now. */
  async flush(): Promise<void> {
    for (const pending of [...this.pending.values()]) this.fire(pending);
    this.writeTombstones();
  }

  /** Flushes and closes the journal (agent shutdown); a later save reopens it. */
  async close(): Promise<void> {
    await this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Drops the record (the controller has persisted the outcome); logs stay until cleaned by age. */
  async forget(instanceId: string): Promise<void> {
    if (this.memoryOnly) return;
    // A forgotten workload's runner is done and saves no more; a pending lazy save is dropped.
    const pending = this.pending.get(instanceId);
    if (pending) this.settle(pending);
    const entry = this.live.get(instanceId);
    if (!entry) return;
    this.live.delete(instanceId);
    this.liveBytes -= entry.bytes;
    // Not urgent (a lost tombstone only brings back a finished workload the controller then
    // forgets again): the forgets of one turn share one append.
    this.tombstones.push(instanceId);
    this.tombstoneTimer ??= setImmediate(() => this.writeTombstones());
  }

  /** Removes directories of forgotten workloads untouched for `maxAgeMs`; returns how many. */
  async cleanForgotten(maxAgeMs: number, now: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.baseDir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names.filter(isIdentifier)) {
      if (this.live.has(name) || this.pending.has(name)) continue;
      const root = path.join(this.baseDir, name);
      const info = await stat(root).catch(() => undefined);
      const logInfo = await stat(path.join(root, 'output.log')).catch(() => stat(path.join(root, LEGACY_LOG_DIR, 'output.log'))).catch(() => undefined);
      const lastTouched = Math.max(info?.mtimeMs ?? 0, logInfo?.mtimeMs ?? 0);
      if (now - lastTouched >= maxAgeMs) {
        await rm(root, { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }

  // ------------------------------------------------------------------ journal

  private fire(pending: PendingSave): void {
    this.settle(pending);
    this.write(pending.record);
  }

  /** Ends a pending save without writing it (a newer write covers it, or it is forgotten). */
  private settle(pending: PendingSave): void {
    clearTimeout(pending.timer);
    this.pending.delete(pending.record.instanceId);
    pending.resolve();
  }

  /**
   * Synchronous on purpose: one small append costs less than queueing behind the libuv thread
   * pool, where at hundreds of tasks per second it waited for milliseconds.
   */
  private write(record: WorkloadRecord): void {
    this.writeTombstones();
    const line = saveLine(record);
    if (!this.append(line)) return;
    const bytes = Buffer.byteLength(line);
    const previous = this.live.get(record.instanceId);
    this.liveBytes += bytes - (previous?.bytes ?? 0);
    this.live.set(record.instanceId, { record, bytes });
    if (this.journalBytes > this.compactAfterBytes && this.journalBytes > 4 * this.liveBytes) this.compact();
  }

  private writeTombstones(): void {
    if (this.tombstoneTimer) clearImmediate(this.tombstoneTimer);
    this.tombstoneTimer = undefined;
    if (this.tombstones.length === 0) return;
    const lines = this.tombstones.map(forgetLine).join('');
    this.tombstones = [];
    this.append(lines);
  }

  /** Appends whole lines; false (logged) when the journal cannot be written. */
  private append(text: string): boolean {
    try {
      this.fd ??= this.open();
      const buffer = Buffer.from(text);
      for (let offset = 0; offset < buffer.length;) offset += writeSync(this.fd, buffer, offset);
      this.journalBytes += buffer.length;
      return true;
    } catch (error) {
      this.logger.error({ file: this.journalFile, err: (error as Error).message }, 'cannot persist workload state');
      return false;
    }
  }

  // Owner-only: records carry the workloads' env and instance tokens (docs/security.md).
  private open(): number {
    mkdirSync(path.dirname(this.journalFile), { recursive: true });
    return openSync(this.journalFile, 'a', 0o600);
  }

  /** Rewrites the journal with the live records only; false (logged) when that failed. */
  private compact(): boolean {
    const temp = `${this.journalFile}.tmp`;
    try {
      let text = '';
      this.liveBytes = 0;
      for (const entry of this.live.values()) {
        const line = saveLine(entry.record);
        entry.bytes = Buffer.byteLength(line);
        this.liveBytes += entry.bytes;
        text += line;
      }
      for (const id of this.tombstones) text += forgetLine(id);
      this.tombstones = [];
      mkdirSync(path.dirname(this.journalFile), { recursive: true });
      const fd = openSync(temp, 'w', 0o600);
      try {
        const buffer = Buffer.from(text);
        for (let offset = 0; offset < buffer.length;) offset += writeSync(fd, buffer, offset);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.journalFile);
      if (this.fd !== undefined) closeSync(this.fd);
      this.fd = undefined;
      this.journalBytes = Buffer.byteLength(text);
      return true;
    } catch (error) {
      this.logger.error({ file: this.journalFile, err: (error as Error).message }, 'cannot compact the workload journal');
      return false;
    }
  }

  /** The journal replayed: the newest save of every workload not forgotten after it. */
  private replay(): Map<string, WorkloadRecord> {
    const records = new Map<string, WorkloadRecord>();
    let text: string;
    try {
      text = readFileSync(this.journalFile, 'utf8');
    } catch {
      return records;
    }
    this.journalBytes = Buffer.byteLength(text);
    let skipped = 0;
    for (const line of text.split('\n')) {
      if (!line) continue;
      const entry = parseJournalLine(line); // unreadable: torn by a crash of the machine mid-append
      if ('forget' in entry) records.delete(entry.forget);
      else if ('save' in entry && this.valid(entry.save, entry.save.instanceId)) records.set(entry.save.instanceId, entry.save);
      else skipped++;
    }
    if (skipped > 0) this.logger.error({ file: this.journalFile, skipped }, 'skipped unreadable lines of the workload journal');
    return records;
  }

  /** `<instanceId>/state.json` files of older versions, for workloads the journal does not know. */
  private async readLegacy(known: Map<string, WorkloadRecord>): Promise<{ records: WorkloadRecord[]; files: string[] }> {
    const found: { records: WorkloadRecord[]; files: string[] } = { records: [], files: [] };
    let names: string[];
    try {
      names = await readdir(this.baseDir);
    } catch {
      return found;
    }
    for (const name of names.filter(isIdentifier)) {
      const file = path.join(this.baseDir, name, LEGACY_STATE_FILE);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue; // forgotten workload: only its logs remain
      }
      found.files.push(file);
      if (known.has(name)) continue;
      try {
        const record = parseStateFile(text);
        if (this.valid(record, name)) found.records.push(record);
        else found.files.pop(); // left on disk untouched
      } catch (error) {
        found.files.pop();
        this.logger.error({ file, err: (error as Error).message }, 'cannot restore a workload record; leaving it on disk untouched');
      }
    }
    return found;
  }

  private valid(record: WorkloadRecord, id: unknown): boolean {
    if (isRestorable(record, id)) return true;
    this.logger.error({ instanceId: id }, 'cannot restore a workload record: unexpected record version or id');
    return false;
  }
}
