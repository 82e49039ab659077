/**
 * The executor's side of the spawn helper (spawn-helper.js): connects to the helper of its data
 * dir over `<data-dir>/spawn-helper/spawn-helper.sock`, starting one first when none answers,
 * sends spawn requests, and relays the exits of the children it asked for.
 *
 * The helper outlives the executor (that is what makes it record exits across a restart), so
 * connecting is the normal case after a restart and starting is the normal case after boot.
 * If the connection drops (the helper died), pending spawns fail with SpawnHelperError (the
 * driver then spawns directly, with the exit wrapper) and every child it started is reported
 * `lost`: the driver falls back to watching /proc and the exit log, as after a restart.
 *
 * Why a filesystem socket and not a Linux abstract one: abstract sockets carry no permissions,
 * Node cannot read the peer's credentials (SO_PEERCRED), and they live in the network
 * namespace, so any local user — or a host-network container — could connect and have
 * commands forked as the executor's user (containerd's shim moved away from abstract sockets
 * for this, CVE-2020-15257), or squat the predictable name first and read every spec sent to
 * it. A socket file inside a 0700 directory of the data dir, created 0600, lets only the
 * executor's user in. Its path length is not a limit: the helper binds it relative to its cwd,
 * and the client goes through `/proc/self/fd/<dir>/` when the absolute path is too long.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ExitTarget } from './exit-log.ts';

const HELPER = fileURLToPath(new URL('./spawn-helper.js', import.meta.url));
const SOCKET_NAME = 'spawn-helper.sock';
/** sun_path holds 108 bytes with its terminating NUL; longer paths go through /proc/self/fd. */
const SUN_PATH_MAX = 107;
const START_TIMEOUT_MS = 10_000;

export interface SpawnRequest {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Opened O_APPEND and given to the child as stdout and stderr. */
  log: string;
  /** Directories to create (mkdir -p) before opening the log and spawning. */
  dirs?: string[];
  /**
   * Where the exit status goes. Through the helper: the helper appends it once the child ended.
   * Spawned directly: the wrapper shell writes it (a shared log is handed over as fd 3).
   */
  exit: ExitTarget;
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

/** The directory of a data dir's spawn helper: its cwd, socket and log (`spawn-helper.log`). */
export function spawnHelperDir(dataDir: string): string {
  return path.join(dataDir, 'spawn-helper');
}

export class SpawnClient {
  /** The helper's directory (see spawnHelperDir). */
  readonly dir: string;
  private socket: net.Socket | undefined;
  private connecting: Promise<net.Socket> | undefined;
  /** Bumped by close(): a connection that completes after it is not kept. */
  private generation = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (child: SpawnedChild) => void; reject: (error: Error) => void }>();
  private readonly exits = new Map<number, (exit: Exit) => void>();
  /** Exits that arrived before anyone asked (cannot happen in order, kept for safety). */
  private readonly early = new Map<number, Exit>();

  constructor(dir: string) {
    this.dir = dir;
  }

  async spawn(request: SpawnRequest): Promise<SpawnedChild> {
    const socket = await this.connection();
    const id = this.nextId++;
    return new Promise<SpawnedChild>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Held while an answer is due, so a caller awaiting it is never left by an empty loop.
      socket.ref();
      socket.write(`${JSON.stringify({ id, ...request })}\n`);
    });
  }

  /**
   * Leaves the helper on purpose (its children keep running): a helper left with no client
   * and no child then exits at once instead of lingering for a restarting executor.
   */
  close(): void {
    this.generation++;
    this.socket?.end('{"bye":true}\n');
    this.socket = undefined;
  }

  private connection(): Promise<net.Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<net.Socket> {
    const generation = this.generation;
    let socket: net.Socket;
    try {
      socket = await connectTo(this.dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ECONNREFUSED') throw new SpawnHelperError(`cannot reach the spawn helper: ${(error as Error).message}`);
      await startHelper(this.dir);
      socket = await connectTo(this.dir).catch((again: Error) => {
        throw new SpawnHelperError(`cannot reach the spawn helper it started: ${again.message}`);
      });
    }
    if (generation !== this.generation) {
      socket.end('{"bye":true}\n');
      throw new SpawnHelperError('the spawn client was closed');
    }
    this.attach(socket);
    return socket;
  }

  private attach(socket: net.Socket): void {
    this.socket = socket;
    // The helper must never keep the executor's event loop alive.
    socket.unref();
    socket.on('error', () => undefined);
    const lines = createInterface({ input: socket });
    // readline re-emits its input's errors: a helper killed with our request unread resets the
    // socket (ECONNRESET), which must end in onHelperGone below, not in an uncaught exception.
    lines.on('error', () => undefined);
    lines.on('line', (line) => this.onLine(line));
    // The socket's close, which comes after its end (readline has handled every line the helper
    // wrote by then) and also after a reset, which has no end.
    socket.once('close', () => this.onHelperGone(socket));
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
    if (this.pending.size === 0) this.socket?.unref();
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

  private onHelperGone(socket: net.Socket): void {
    if (this.socket === socket) this.socket = undefined;
    for (const { reject } of this.pending.values()) reject(new SpawnHelperError('the spawn helper went away'));
    this.pending.clear();
    for (const resolve of this.exits.values()) resolve('lost');
    this.exits.clear();
  }
}

/** Connects to the helper's socket in `dir`, through /proc/self/fd when its path is too long. */
function connectTo(dir: string): Promise<net.Socket> {
  const direct = path.join(dir, SOCKET_NAME);
  let dirFd: number | undefined;
  let target = direct;
  if (Buffer.byteLength(direct) > SUN_PATH_MAX) {
    try {
      dirFd = openSync(dir, 'r');
    } catch (error) {
      return Promise.reject(error);
    }
    target = `/proc/self/fd/${dirFd}/${SOCKET_NAME}`;
  }
  return new Promise<net.Socket>((resolve, reject) => {
    const socket = net.createConnection({ path: target });
    const done = () => {
      if (dirFd !== undefined) closeSync(dirFd);
      dirFd = undefined;
    };
    socket.once('connect', () => {
      done();
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', (error) => {
      done();
      reject(error);
    });
  });
}

/**
 * Starts a helper for `dir`, detached (its own session; stdin and stdout not the executor's,
 * stderr its own log file), and waits for its one-line readiness answer.
 */
async function startHelper(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await stat(dir);
  if (process.getuid && info.uid !== process.getuid()) {
    throw new SpawnHelperError(`${dir} belongs to uid ${info.uid}, not to this executor's user: not starting a spawn helper there`);
  }
  if ((info.mode & 0o077) !== 0) await chmod(dir, 0o700);
  const log = openSync(path.join(dir, 'spawn-helper.log'), 'a');
  let helper;
  try {
    helper = spawn(process.execPath, [HELPER, dir], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', log] });
  } finally {
    closeSync(log);
  }
  helper.unref();
  const answer = await new Promise<string | undefined>((resolve) => {
    const lines = createInterface({ input: helper.stdout! });
    const timer = setTimeout(() => resolve(undefined), START_TIMEOUT_MS);
    lines.on('error', () => { // a dying helper reset the pipe: no 'close' follows
      clearTimeout(timer);
      resolve(undefined);
    });
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    lines.once('close', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    helper.once('error', () => resolve(undefined));
  });
  helper.stdout!.destroy();
  if (answer !== 'ready' && answer !== 'running') {
    throw new SpawnHelperError(`the spawn helper did not start (${answer ?? 'no answer'}); see ${path.join(dir, 'spawn-helper.log')}`);
  }
}
