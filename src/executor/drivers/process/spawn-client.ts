/**
 * The executor's side of the spawn helper (spawn-helper.js): starts it lazily, sends spawn
 * requests, and relays the exits of the children it started. If the helper dies, pending
 * spawns fail (the driver then spawns directly) and every child it started is reported as
 * `lost`, so the driver falls back to watching /proc and the exit file, exactly as after an
 * executor restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const HELPER = fileURLToPath(new URL('./spawn-helper.js', import.meta.url));

export interface SpawnRequest {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Opened O_APPEND by the helper and given to the child as stdout and stderr. */
  log: string;
  /** Directories to create (mkdir -p) before opening the log and spawning. */
  dirs?: string[];
  /** A shared exit log, opened for appending and given to the child as fd 3. */
  exitLog?: string;
  uid?: number;
  gid?: number;
}

export interface SpawnedChild {
  pid: number;
  startTime: number;
  /** The child's exit as the helper saw it, or `lost` when the helper went away first. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'lost'>;
}

type Exit = { code: number | null; signal: NodeJS.Signals | null } | 'lost';

export class SpawnHelperError extends Error {
  readonly code = 'SPAWN_HELPER_FAILED';
}

export class SpawnClient {
  private helper: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (child: SpawnedChild) => void; reject: (error: Error) => void }>();
  private readonly exits = new Map<number, (exit: Exit) => void>();
  /** Exits that arrived before anyone asked (cannot happen in order, kept for safety). */
  private readonly early = new Map<number, Exit>();

  spawn(request: SpawnRequest): Promise<SpawnedChild> {
    const helper = this.ensureHelper();
    const id = this.nextId++;
    return new Promise<SpawnedChild>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      helper.stdin!.write(`${JSON.stringify({ id, ...request })}\n`);
    });
  }

  /** Ends the helper (its children keep running). */
  close(): void {
    this.helper?.stdin?.end();
    this.helper = undefined;
  }

  private ensureHelper(): ChildProcess {
    if (this.helper && this.helper.exitCode === null && this.helper.signalCode === null) return this.helper;
    const helper = spawn(process.execPath, [HELPER], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.helper = helper;
    helper.unref();
    (helper.stdin as unknown as { unref?: () => void }).unref?.();
    (helper.stdout as unknown as { unref?: () => void }).unref?.();
    helper.stdin!.on('error', () => undefined);
    const lines = createInterface({ input: helper.stdout! });
    lines.on('line', (line) => this.onLine(line));
    // stdout's end, not 'exit': every line the helper wrote is handled before it counts as gone.
    lines.once('close', () => this.onHelperGone(helper));
    helper.once('error', () => this.onHelperGone(helper));
    return helper;
  }

  private onLine(line: string): void {
    let message: { id?: number; pid?: number; startTime?: number; error?: string; exit?: number; code?: number | null; signal?: NodeJS.Signals | null };
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    if (message.exit !== undefined) {
      const exit: Exit = { code: message.code ?? null, signal: message.signal ?? null };
      const resolve = this.exits.get(message.exit);
      if (resolve) {
        this.exits.delete(message.exit);
        resolve(exit);
      } else this.early.set(message.exit, exit);
      return;
    }
    const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
    if (!waiter) return;
    this.pending.delete(message.id!);
    if (message.error !== undefined || message.pid === undefined) {
      waiter.reject(new Error(message.error ?? 'the spawn helper gave no pid'));
      return;
    }
    const pid = message.pid;
    const exit = new Promise<Exit>((resolve) => {
      const early = this.early.get(pid);
      if (early) {
        this.early.delete(pid);
        resolve(early);
      } else this.exits.set(pid, resolve);
    });
    waiter.resolve({ pid, startTime: message.startTime ?? 0, exit });
  }

  private onHelperGone(helper: ChildProcess): void {
    if (this.helper === helper) this.helper = undefined;
    for (const { reject } of this.pending.values()) reject(new SpawnHelperError('the spawn helper exited'));
    this.pending.clear();
    for (const resolve of this.exits.values()) resolve('lost');
    this.exits.clear();
  }
}
