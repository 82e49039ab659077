/**
 * Rotates workloads' `output.log` by copytruncate: the workload holds the file open with
 * O_APPEND (the process driver hands it the file itself), so the file cannot be renamed away;
 * it is copied (gzipped when `compress`) to `output.log-<yyyy-MM-dd-HH-mm-ss>[.gz]` and then
 * truncated in place, after which the writer's next append lands at offset 0. Bytes written
 * between the end of the copy and the truncation are lost: the known price of copytruncate,
 * the same as logrotate's.
 *
 * One timer per executor checks every registered file (≈ 1 s); at most `maxFiles` files are
 * kept, the live one included.
 *
 * A reader of the live file (the RSYSLOG shipper's follower) may guard the truncation: it is
 * handed the truncation to run itself, so it reads up to the end just before and restarts at 0
 * just after, and neither skips nor repeats what rotation moved aside.
 *
 * Links are never followed (docs/security.md, "Log files"): a workload that replaced its
 * `output.log` with a link to another file (the controller's database, say) must not get that
 * file copied into its logs nor truncated. Such a file is not rotated, and the copy and the
 * truncation open the file with O_NOFOLLOW.
 */
import { constants, createWriteStream } from 'node:fs';
import { lstat, open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Clock } from '../../common/clock.ts';
import { systemClock } from '../../common/clock.ts';
import { logRejection, silentLogger, type Logger } from '../../common/logger.ts';
import type { LogPolicy } from './log-policy.ts';

/** Runs `truncate` (exactly once) with whatever a reader of the file must do around it. */
export type TruncateGuard = (truncate: () => Promise<void>) => Promise<void>;

interface Entry {
  file: string;
  policy: LogPolicy;
  busy: boolean;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `yyyy-MM-dd-HH-mm-ss` in UTC. */
export function rotationStamp(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}`;
}

export interface LogRotatorOptions {
  clock?: Clock;
  logger?: Logger;
  intervalMs?: number;
}

export class LogRotator {
  private readonly entries = new Map<string, Entry>();
  private readonly guards = new Map<string, TruncateGuard>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(options: LogRotatorOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.intervalMs = options.intervalMs ?? 1_000;
  }

  /** Watches `file` under `policy` (idempotent; the latest policy wins). */
  register(key: string, file: string, policy: LogPolicy): void {
    const existing = this.entries.get(key);
    if (existing) {
      existing.file = file;
      existing.policy = policy;
    } else this.entries.set(key, { file, policy, busy: false });
    if (!this.timer) {
      this.timer = setInterval(() => {
        this.checkAll().catch(logRejection(this.logger, 'log rotation failed'));
      }, this.intervalMs);
      this.timer.unref();
    }
  }

  unregister(key: string): void {
    this.entries.delete(key);
    if (this.entries.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Lets a reader of `file` run its truncations (see TruncateGuard); returns the undo. */
  guardTruncation(file: string, guard: TruncateGuard): () => void {
    this.guards.set(file, guard);
    return () => {
      if (this.guards.get(file) === guard) this.guards.delete(file);
    };
  }

  /** Checks every registered file now (the timer calls this; tests may too). */
  checkAll(): Promise<void> {
    this.checking ??= (async () => {
      try {
        await Promise.all([...this.entries.values()].map((entry) => this.check(entry)));
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.entries.clear();
    this.guards.clear();
  }

  private async check(entry: Entry): Promise<void> {
    if (entry.busy) return;
    entry.busy = true;
    try {
      const info = await lstat(entry.file).catch(() => undefined);
      if (info && !info.isFile()) {
        this.logger.warn({ file: entry.file, link: info.isSymbolicLink() }, 'log file is not a regular file (replaced by the workload?): not rotated');
        return;
      }
      if (info && info.size > entry.policy.maxBytes) await rotateFile(entry.file, entry.policy, this.clock.now(), this.guards.get(entry.file));
    } catch (error) {
      this.logger.warn({ file: entry.file, err: (error as Error).message }, 'log rotation failed');
    } finally {
      entry.busy = false;
    }
  }
}

/** Copies `file` aside (gzipped when asked), truncates it (through `guard` when given), and prunes old rotations. */
export async function rotateFile(file: string, policy: LogPolicy, now: number, guard?: TruncateGuard): Promise<string | undefined> {
  const dir = path.dirname(file);
  const base = path.basename(file);
  let rotated: string | undefined;
  if (policy.maxFiles > 1) {
    const existing = new Set(await readdir(dir));
    const stamp = rotationStamp(now);
    const suffix = policy.compress ? '.gz' : '';
    let name = `${base}-${stamp}${suffix}`;
    for (let n = 1; existing.has(name); n++) name = `${base}-${stamp}-${n}${suffix}`;
    // Written under a hidden name first so a listing never shows a half-written file.
    const temp = path.join(dir, `.${name}.partial`);
    const source = (await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)).createReadStream();
    if (policy.compress) await pipeline(source, createGzip(), createWriteStream(temp));
    else await pipeline(source, createWriteStream(temp));
    rotated = path.join(dir, name);
    await rename(temp, rotated);
  }
  await truncateGuarded(file, guard);
  await pruneRotations(dir, base, policy.maxFiles - 1);
  return rotated;
}

/** Empties `file` in place; a link there is refused (ELOOP), never followed. */
async function truncateNoFollow(file: string): Promise<void> {
  const handle = await open(file, constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    if (!(await handle.stat()).isFile()) throw new Error(`${file} is not a regular file: not truncated`);
    await handle.truncate(0);
  } finally {
    await handle.close();
  }
}

/** Truncates through the guard; a guard that failed before truncating must not stop the rotation. */
async function truncateGuarded(file: string, guard: TruncateGuard | undefined): Promise<void> {
  if (!guard) return truncateNoFollow(file);
  let done = false;
  const once = async () => {
    if (done) return;
    done = true;
    await truncateNoFollow(file);
  };
  try {
    await guard(once);
  } finally {
    await once();
  }
}

/** Keeps the newest `keep` rotated files of `base` in `dir`. */
async function pruneRotations(dir: string, base: string, keep: number): Promise<void> {
  const names = (await readdir(dir)).filter((name) => name.startsWith(`${base}-`));
  if (names.length <= keep) return;
  const dated = await Promise.all(names.map(async (name) => ({ name, mtime: (await lstat(path.join(dir, name)).catch(() => undefined))?.mtimeMs ?? 0 })));
  dated.sort((a, b) => b.mtime - a.mtime || b.name.localeCompare(a.name));
  await Promise.all(dated.slice(keep).map((entry) => rm(path.join(dir, entry.name), { force: true })));
}
