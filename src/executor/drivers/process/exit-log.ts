/**
 * Where a process workload's exit status is recorded, so an executor that was away when the
 * workload ended still learns the truth. The recorder is the spawn helper, the workload's
 * parent, which outlives executor restarts (spawn-helper.js); for a workload forked by the
 * executor itself (`spawnVia: 'direct'`, or no helper reachable) it is a `/bin/sh` wrapper
 * around the command. Both write exactly the same lines.
 *
 * Shared (the agent's mode, `<data-dir>/exits/`): one line `<instanceId> <code>\n` per
 * workload appended to the executor's current exit log — by the helper through the descriptor
 * it keeps open, or by the wrapper through fd 3 (closed for the command itself). Either way
 * the workload cannot write there. Appends of one short line are atomic, and nothing per task
 * is created: a new inode per task cost as much as a fork on a busy disk.
 *
 *   exits-<time>-<n>.log  one per executor start, a new one every ROTATE_AFTER starts;
 *                         removed once no live workload refers to it and nothing was
 *                         appended for the retention period (the helper keeps a replaced log
 *                         open only until the last workload started on it has ended)
 *
 * Per workload (a driver without an exit-log directory: tests, older handles): `<code>\n` in
 * `<logDir>/.exit-code`.
 *
 * `<code>` is the shell's `$?`: the exit status, or 128+N for a process killed by signal N.
 */
import { mkdirSync } from 'node:fs';
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

/** Hidden, so the log listing (`output.*`) never shows it. */
export const PER_WORKLOAD_EXIT_FILE = '.exit-code';
const ROTATE_AFTER = 100_000;
const NAME = /^exits-\d+-\d+\.log$/;
/** Distinguishes logs opened in the same millisecond by this process (tests run several drivers). */
let serial = 0;

/** Where one workload's exit status goes: `key` set = a line in a shared exit log. */
export interface ExitTarget {
  file: string;
  key?: string;
}

/**
 * Reads an exit status: the workload's line of a shared log, or a per-workload file. Undefined
 * while there is none (or the write is still in flight: the line ends with its newline).
 */
export async function readExitStatus(target: ExitTarget): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(target.file, 'utf8');
  } catch {
    return undefined;
  }
  if (target.key === undefined) return parseCode(text);
  const prefix = `${target.key} `;
  let at = text.lastIndexOf(`\n${prefix}`);
  at = at >= 0 ? at + 1 : text.startsWith(prefix) ? 0 : -1;
  if (at < 0) return undefined;
  const end = text.indexOf('\n', at);
  return end < 0 ? undefined : parseCode(text.slice(at + prefix.length, end + 1));
}

function parseCode(text: string): number | undefined {
  if (!text.endsWith('\n')) return undefined;
  const code = Number(text.trim());
  return text.trim() !== '' && Number.isInteger(code) ? code : undefined;
}

/** The shared exit logs of one executor (see the header). */
export class ExitLog {
  readonly dir: string;
  private current: string | undefined;
  private starts = 0;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The log the next start appends to (a new one first, and every ROTATE_AFTER starts). */
  next(): string {
    if (this.current && this.starts++ < ROTATE_AFTER) return this.current;
    mkdirSync(this.dir, { recursive: true });
    // Created by the first open for appending (the spawn helper's), not here.
    this.current = path.join(this.dir, `exits-${Date.now()}-${serial++}.log`);
    this.starts = 1;
    return this.current;
  }

  /** Every exit log here, newest first (adoption looks for a workload's line in them). */
  async files(): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.filter((name) => NAME.test(name)).sort(newestFirst).map((name) => path.join(this.dir, name));
  }

  /** Removes logs no live workload refers to and untouched for `maxAgeMs`; returns how many. */
  async clean(referenced: ReadonlySet<string>, maxAgeMs: number, now: number): Promise<number> {
    let removed = 0;
    for (const file of await this.files()) {
      if (file === this.current || referenced.has(file)) continue;
      const info = await stat(file).catch(() => undefined);
      if (!info || now - info.mtimeMs < maxAgeMs) continue;
      await unlink(file).catch(() => undefined);
      removed++;
    }
    return removed;
  }
}

function newestFirst(a: string, b: string): number {
  const [, timeA, countA] = a.split(/[-.]/).map(Number);
  const [, timeB, countB] = b.split(/[-.]/).map(Number);
  return timeB - timeA || countB - countA;
}
