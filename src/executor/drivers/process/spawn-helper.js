/**
 * The process driver's spawn helper: a small long-lived Node process that forks workloads on
 * the executor's behalf, records how each one ended, and outlives executor restarts.
 *
 * Why a separate process: fork(2) copies the parent's page tables, so its cost grows with the
 * parent's memory, and Node's spawn() blocks the event loop for all of it. The executor is big
 * and busy; this helper is small (plain JavaScript, no type stripping) and idle.
 *
 * Why it records exits: it is the parent of every workload it forks, so it learns each exit
 * (waitpid) and appends the status to the workload's exit target itself — the shared exit log
 * line `<key> <code>` or the per-workload file `<code>`, code = exit status, or 128+N when
 * killed by signal N (the shell's `$?`) — *before* it tells any executor. That is what the
 * `/bin/sh` wrapper used to do, one exec and one fork per task dearer (see exit-log.ts).
 *
 * Why it outlives the executor: an exit is only recorded if the helper is alive when the
 * workload ends. So it runs detached (own session, stdio not tied to the executor, cwd
 * `<data-dir>/spawn-helper/`) and serves a unix socket there; a restarted executor connects to
 * the helper of its data dir again (spawn-client.ts). Like containerd-shim, a SIGKILLed
 * executor leaves it running as long as its workloads run. If the helper itself dies, the
 * exits of the workloads it forked are lost (the executor reports "left no exit status").
 *
 * Lifecycle:
 *
 *   started ──listen──▶ serving ──(no client and no child)──▶ lingering ──LINGER_MS──▶ exit
 *                          ▲                                     │
 *                          └──────── a client connects ──────────┘
 *   A client that says {"bye":true} before leaving (a graceful executor stop) skips the linger:
 *   `corral dev` Ctrl-C stops every workload, then the helper goes at once.
 *
 * Protocol: newline-delimited JSON over the socket (one client per executor; several may be
 * connected, e.g. a driver and a restarted one in tests). Every answer and exit goes to the
 * client that asked for the spawn, if it is still connected.
 *   in:  {"id":1,"file":"/bin/x","args":[...],"cwd":"…","env":{…},"log":"…/output.log","dirs":["…"],
 *         "exit":{"file":"…/exits-….log","key":"<instanceId>"},"uid":0,"gid":0}
 *        {"bye":true}                               the client is leaving on purpose
 *   out: {"id":1,"pid":123,"startTime":456}  or  {"id":1,"error":"…"}
 *        {"exit":123,"code":0,"signal":null}      after the status is on disk
 * Readiness: one line on stdout ("ready", or "running" when another helper already serves the
 * socket), then stdout is closed; errors go to stderr (`spawn-helper.log`).
 */
import { spawn } from 'node:child_process';
import { closeSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import net from 'node:net';
import { constants as osConstants } from 'node:os';
import process from 'node:process';
import { createInterface } from 'node:readline';
import { clearTimeout, setImmediate, setTimeout } from 'node:timers';

/** Relative to the cwd, so the data dir's length never meets sun_path's 108-byte limit here. */
const SOCKET_NAME = 'spawn-helper.sock';
/** How long a helper without clients and children waits for a restarting executor. */
const LINGER_MS = Number(process.env.CORRAL_SPAWN_HELPER_LINGER_MS ?? 3_000);

/** A connected executor: its socket and what goes out to it at the end of this turn. */
class Client {
  constructor(socket) {
    this.socket = socket;
    this.outbox = '';
    this.bye = false;
  }

  /**
   * Answers and exits go out once per turn of the event loop: each write wakes the executor,
   * so a burst costs one wake-up.
   */
  send(message) {
    if (this.socket.destroyed) return;
    if (!this.outbox) setImmediate(() => this.flush());
    this.outbox += `${JSON.stringify(message)}\n`;
  }

  flush() {
    const text = this.outbox;
    this.outbox = '';
    if (text && !this.socket.destroyed) this.socket.write(text);
  }
}

const clients = new Set();
/** pid → { owner: Client, exit: {file, key?}, log?: ExitLogEntry } for every live child. */
const children = new Map();
let lastClientSaidBye = false;
let exitTimer;

// ---- exit logs ------------------------------------------------------------------------------

/**
 * Shared exit logs stay open while they are the newest one asked for or a live child will
 * report to them: a rotation (ExitLog.next()) must not lose the exits of children started
 * before it, and must not keep old files open for ever either.
 */
const exitLogs = new Map();
let currentExitLog;

function exitLogEntry(file) {
  let entry = exitLogs.get(file);
  if (!entry) {
    entry = { file, users: 0, handle: open(file, 'a') };
    exitLogs.set(file, entry);
    // A failed open is not kept: the next start tries again.
    entry.handle.catch(() => {
      if (exitLogs.get(file) === entry) exitLogs.delete(file);
    });
  }
  if (currentExitLog !== file) {
    const previous = currentExitLog;
    currentExitLog = file;
    if (previous) releaseIfUnused(exitLogs.get(previous));
  }
  return entry;
}

function releaseIfUnused(entry) {
  if (!entry || entry.users > 0 || entry.file === currentExitLog) return;
  exitLogs.delete(entry.file);
  entry.handle.then((h) => h.close()).catch(() => undefined);
}

/** The shell's `$?`: the exit status, or 128 + the signal's number. */
function statusOf(code, signal) {
  if (code !== null) return code;
  const number = osConstants.signals[signal];
  return number === undefined ? -1 : 128 + number;
}

/** Writes the status synchronously: the exit message must never leave before it is on disk. */
function record(child, status) {
  try {
    if (child.log) {
      // One write(2) of one short line on an O_APPEND descriptor: atomic among writers.
      writeSync(child.log.fd, `${child.exit.key} ${status}\n`);
    } else {
      writeFileSync(child.exit.file, `${status}\n`);
    }
  } catch (error) {
    process.stderr.write(`spawn helper: cannot record exit ${status} of ${child.exit.key ?? child.exit.file}: ${error.message}\n`);
  }
}

// ---- spawning -------------------------------------------------------------------------------

function startTime(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[19]) || 0;
  } catch {
    return 0;
  }
}

/** One mkdir(2) when the parent exists (the driver lists parents first), mkdir -p otherwise. */
async function ensureDir(dir) {
  try {
    await mkdir(dir);
  } catch (error) {
    if (error.code === 'EEXIST') return;
    if (error.code !== 'ENOENT') throw error;
    await mkdir(dir, { recursive: true });
  }
}

/**
 * Directories and the log file are made on libuv's thread pool: creating inodes is the dear
 * part of a start on a busy disk, and there it overlaps with the forks of other starts, which
 * block this thread (spawn() returns only once the child has exec'd).
 */
async function prepare(request) {
  for (const dir of request.dirs ?? []) await ensureDir(dir);
  const log = request.exit?.key !== undefined ? exitLogEntry(request.exit.file) : undefined;
  if (log) log.users++;
  try {
    const fileHandle = log ? await log.handle : undefined;
    return { output: await open(request.log, 'a'), log: log && { entry: log, fd: fileHandle.fd } };
  } catch (error) {
    if (log) {
      log.users--;
      releaseIfUnused(log);
    }
    throw error;
  }
}

function start(client, request) {
  prepare(request).then((files) => launch(client, request, files), (error) => {
    client.send({ id: request.id, error: `cannot prepare ${request.log}: ${error.message}` });
  });
}

function launch(client, request, { output, log }) {
  const release = () => {
    if (!log) return;
    log.entry.users--;
    releaseIfUnused(log.entry);
  };
  let child;
  try {
    child = spawn(request.file, request.args, {
      cwd: request.cwd, env: request.env, detached: true, stdio: ['ignore', output.fd, output.fd],
      uid: request.uid ?? undefined, gid: request.gid ?? undefined,
    });
  } catch (error) {
    release();
    client.send({ id: request.id, error: error.message });
    return;
  } finally {
    // The child has its own copy of the descriptor once spawn() returned.
    output.close().catch(() => undefined);
  }
  if (child.pid === undefined) {
    release();
    child.once('error', (error) => client.send({ id: request.id, error: error.message }));
    return;
  }
  const pid = child.pid;
  const entry = { owner: client, exit: request.exit, log: log && { fd: log.fd } };
  children.set(pid, entry);
  child.once('exit', (code, signal) => {
    if (entry.exit) record(entry, statusOf(code, signal));
    release();
    children.delete(pid);
    if (clients.has(entry.owner)) entry.owner.send({ exit: pid, code, signal });
    considerExit();
  });
  child.once('error', () => undefined);
  client.send({ id: request.id, pid, startTime: startTime(pid) });
}

// ---- clients and lifetime -------------------------------------------------------------------

function considerExit() {
  clearTimeout(exitTimer);
  exitTimer = undefined;
  if (clients.size > 0 || children.size > 0) return;
  exitTimer = setTimeout(shutDown, lastClientSaidBye ? 0 : LINGER_MS);
}

let listeningInode;
function shutDown() {
  // Remove the socket only if it is still ours: a helper that lost a start race must not
  // unlink the winner's. (No server.close(): libuv would unlink the path unconditionally.)
  try {
    if (listeningInode !== undefined && statSync(SOCKET_NAME).ino === listeningInode) unlinkSync(SOCKET_NAME);
  } catch {
    // already gone
  }
  process.exit(0);
}

function serve(socket) {
  const client = new Client(socket);
  clients.add(client);
  considerExit();
  socket.on('error', () => undefined);
  const lines = createInterface({ input: socket });
  // readline re-emits its input's errors: an executor killed with our answer unread resets the
  // socket (ECONNRESET); the helper must outlive that, so it ends in 'close' below.
  lines.on('error', () => undefined);
  lines.on('line', (line) => {
    if (!line) return;
    let request;
    try {
      request = JSON.parse(line);
    } catch {
      return;
    }
    if (request.bye) client.bye = true;
    else start(client, request);
  });
  socket.once('close', () => {
    clients.delete(client);
    lastClientSaidBye = client.bye;
    considerExit();
  });
}

function ready(word) {
  try {
    writeSync(1, `${word}\n`);
    closeSync(1);
  } catch {
    // nobody waits for it (the starting executor went away): carry on
  }
}

/** Is another helper serving the socket? (Then this one is not needed.) */
function answers(name) {
  return new Promise((resolve) => {
    const probe = net.createConnection({ path: name });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // The socket is owner-only from its first instant: the umask applies to bind(2), which
    // listen() performs synchronously (the directory is 0700 too).
    const umask = process.umask(0o177);
    try {
      server.listen(SOCKET_NAME, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(umask);
    }
  });
}

async function main() {
  const server = net.createServer(serve);
  try {
    await listen(server);
  } catch (error) {
    if (error.code !== 'EADDRINUSE') throw error;
    if (await answers(SOCKET_NAME)) {
      ready('running');
      process.exit(0);
    }
    // A stale socket: its helper died. (Two helpers racing here both listen; the loser has no
    // client and no child and exits after its linger without touching the winner's socket.)
    try {
      unlinkSync(SOCKET_NAME);
    } catch {
      // someone else removed it
    }
    await listen(server);
  }
  listeningInode = statSync(SOCKET_NAME).ino;
  ready('ready');
  considerExit();
}

main().catch((error) => {
  process.stderr.write(`spawn helper: cannot serve ${process.cwd()}/${SOCKET_NAME}: ${error.message}\n`);
  ready('failed');
  process.exit(1);
});
