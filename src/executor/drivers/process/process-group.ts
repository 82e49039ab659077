/**
 * Process-group bookkeeping on Linux through /proc.
 *
 * Why not just `kill(-pgid, 0)`: a group whose members are all zombies still answers it, and
 * on machines whose PID 1 does not reap orphans (containers, micro-VMs such as this project's
 * CI) those zombies never go away. So "the group is gone" means: `kill(-pgid, 0)` says ESRCH,
 * or a /proc scan finds no non-zombie member. One scan per tick serves every waiter, and pids
 * known to be zombies are not re-read (a zombie never comes back to life; its cache entry is
 * dropped once the pid disappears from /proc).
 */
import { readdir, readFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';

/** The fields of `/proc/<pid>/stat` the driver needs. */
export interface ProcStat {
  pid: number;
  /** R, S, D, Z, T … */
  state: string;
  ppid: number;
  pgrp: number;
  /** Clock ticks since boot when the process started: guards against pid reuse. */
  startTime: number;
}

/** Parses `/proc/<pid>/stat`; the command name may contain spaces and parentheses. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < 0) return undefined;
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); starttime is field 22.
  return {
    pid: Number(text.slice(0, open).trim()),
    state: rest[0],
    ppid: Number(rest[1]),
    pgrp: Number(rest[2]),
    startTime: Number(rest[19]),
  };
}

export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** True when the process exists, is not a zombie and (if given) started at `startTime`. */
export async function isProcessAlive(pid: number, startTime?: number): Promise<boolean> {
  const stat = await readProcStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return startTime === undefined || stat.startTime === startTime;
}

/** Sends a signal to every member of a group; false when there is no such group. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  // kill(0) and kill(-1) would hit our own group or every process: never a workload's group.
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    // EPERM: the group exists but is not ours to signal (it is still "there").
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The live group leader whose initial environment holds one of `entries` (`NAME=value`),
 * with that environment. Used only after a restart (a full /proc scan): unreadable environments (other
 * users' processes, for a non-root executor) are skipped.
 */
export async function findGroupLeaderByEnvironment(entries: string[]): Promise<{ stat: ProcStat; environ: string[] } | undefined> {
  const needles = entries.map((entry) => Buffer.from(`${entry}\0`));
  for (const name of await readdir('/proc')) {
    const code = name.charCodeAt(0);
    if (code < 48 || code > 57) continue;
    const stat = await readProcStat(Number(name));
    if (!stat || stat.pgrp !== stat.pid || stat.state === 'Z' || stat.state === 'X') continue;
    const environ = await readFile(`/proc/${name}/environ`).catch(() => undefined);
    if (!environ) continue;
    const holds = (needle: Buffer) => {
      const at = environ.indexOf(needle);
      return at === 0 || (at > 0 && environ[at - 1] === 0);
    };
    if (needles.some(holds)) return { stat, environ: environ.toString('utf8').split('\0') };
  }
  return undefined;
}

/** Maps a signal name to the shell's exit status convention (128 + number). */
export function signalExitCode(signal: string): number {
  const number = (osConstants.signals as Record<string, number>)[signal];
  return number === undefined ? -1 : 128 + number;
}

interface GroupWaiter {
  pgid: number;
  resolve: (gone: boolean) => void;
  deadline: number;
}

/**
 * Waits for process groups to disappear. One instance per driver; its timer runs only while
 * somebody waits.
 */
export class ProcessGroupWatcher {
  private readonly waiters = new Set<GroupWaiter>();
  private readonly zombies = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private scanning = false;
  private readonly tickMs: number;

  constructor(options: { tickMs?: number } = {}) {
    this.tickMs = options.tickMs ?? 25;
  }

  /** Live (non-zombie) pids of a group. */
  async members(pgid: number): Promise<number[]> {
    if (!signalGroup(pgid, 0)) return [];
    const live = await this.scan();
    return live.get(pgid) ?? [];
  }

  async isAlive(pgid: number): Promise<boolean> {
    return (await this.members(pgid)).length > 0;
  }

  /** Resolves true once the group has no live member, false if `timeoutMs` passes first. */
  waitGone(pgid: number, timeoutMs = Number.POSITIVE_INFINITY, signal?: AbortSignal): Promise<boolean> {
    if (!signalGroup(pgid, 0)) return Promise.resolve(true);
    return new Promise((resolve, reject) => {
      const waiter: GroupWaiter = {
        pgid,
        deadline: Date.now() + timeoutMs,
        resolve: (gone) => {
          this.waiters.delete(waiter);
          signal?.removeEventListener('abort', onAbort);
          resolve(gone);
        },
      };
      const onAbort = () => {
        this.waiters.delete(waiter);
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
      this.ensureTimer();
    });
  }

  /** Stops the timer; pending waiters resolve false. */
  close(): void {
    for (const waiter of [...this.waiters]) waiter.resolve(false);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      // tick() settles every waiter itself; a failed scan is retried at the next tick.
      this.tick().catch(() => undefined);
    }, this.tickMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.scanning) return;
    if (this.waiters.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    this.scanning = true;
    try {
      const now = Date.now();
      const remaining: GroupWaiter[] = [];
      for (const waiter of this.waiters) {
        if (!signalGroup(waiter.pgid, 0)) waiter.resolve(true);
        else remaining.push(waiter);
      }
      if (remaining.length === 0) return;
      const live = await this.scan();
      for (const waiter of remaining) {
        if (!live.has(waiter.pgid)) waiter.resolve(true);
        else if (now >= waiter.deadline) waiter.resolve(false);
      }
    } finally {
      this.scanning = false;
    }
  }

  /** pgid → live member pids, skipping known zombies. */
  private async scan(): Promise<Map<number, number[]>> {
    const live = new Map<number, number[]>();
    const seen = new Set<number>();
    const entries = await readdir('/proc');
    await Promise.all(entries.map(async (name) => {
      const code = name.charCodeAt(0);
      if (code < 48 || code > 57) return;
      const pid = Number(name);
      seen.add(pid);
      if (this.zombies.has(pid)) return;
      const stat = await readProcStat(pid);
      if (!stat) return;
      if (stat.state === 'Z' || stat.state === 'X') {
        this.zombies.add(pid);
        return;
      }
      const list = live.get(stat.pgrp);
      if (list) list.push(pid);
      else live.set(stat.pgrp, [pid]);
    }));
    for (const pid of this.zombies) if (!seen.has(pid)) this.zombies.delete(pid);
    return live;
  }
}
