/**
 * The process driver's spawn helper: a small long-lived Node process that forks workloads on
 * the executor's behalf. Why: fork(2) copies the parent's page tables, so its cost grows with
 * the parent's memory, and Node's spawn() blocks the event loop for all of it. The executor is
 * big and busy; this helper is small (plain JavaScript, no type stripping) and idle, so a
 * spawn costs less here and runs beside the executor instead of stalling it. It is not a
 * per-task supervisor: one per executor, and workloads outlive it (they run in their own
 * sessions and write their exit status to their exit files).
 *
 * Protocol: newline-delimited JSON on stdin/stdout.
 *   in:  {"id":1,"file":"/bin/sh","args":[...],"cwd":"…","env":{…},"log":"…/output.log","dirs":["…"],
 *         "exitLog":"…/exits-….log","uid":0,"gid":0}      (the exit log becomes the child's fd 3)
 *   out: {"id":1,"pid":123,"startTime":456}  or  {"id":1,"error":"…"}
 *        {"exit":123,"code":0,"signal":null}      when a child it started exits
 * It exits when its stdin closes (the executor went away).
 */
import { spawn } from 'node:child_process';
import process from 'node:process';
import { setImmediate } from 'node:timers';
import { readFileSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/**
 * Answers and exits go out once per turn of the event loop: writes to the pipe are
 * synchronous, and each one also wakes the executor, so a burst costs one of each.
 */
let outbox = '';
function send(message) {
  if (!outbox) setImmediate(flush);
  outbox += `${JSON.stringify(message)}\n`;
}

function flush() {
  const text = outbox;
  outbox = '';
  process.stdout.write(text);
}

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
  const exitLog = request.exitLog ? await exitLogHandle(request.exitLog) : undefined;
  return { output: await open(request.log, 'a'), exitLog };
}

/** The shared exit log stays open: every start hands it on (it changes only on rotation). */
let exitLog;
async function exitLogHandle(file) {
  if (exitLog?.file !== file) {
    const previous = exitLog;
    const handle = open(file, 'a');
    exitLog = { file, handle };
    // A failed open is not kept: the next start tries again.
    handle.catch(() => {
      if (exitLog?.handle === handle) exitLog = undefined;
    });
    previous?.handle.then((h) => h.close()).catch(() => undefined);
  }
  return exitLog.handle;
}

function start(request) {
  prepare(request).then((files) => launch(request, files), (error) => {
    send({ id: request.id, error: `cannot prepare ${request.log}: ${error.message}` });
  });
}

function launch(request, { output: handle, exitLog }) {
  const output = handle.fd;
  let child;
  try {
    child = spawn(request.file, request.args, {
      cwd: request.cwd, env: request.env, detached: true,
      stdio: exitLog ? ['ignore', output, output, exitLog.fd] : ['ignore', output, output],
      uid: request.uid ?? undefined, gid: request.gid ?? undefined,
    });
  } catch (error) {
    send({ id: request.id, error: error.message });
    return;
  } finally {
    // The child has its own copy of the descriptor once spawn() returned.
    handle.close().catch(() => undefined);
  }
  if (child.pid === undefined) {
    child.once('error', (error) => send({ id: request.id, error: error.message }));
    return;
  }
  const pid = child.pid;
  child.once('exit', (code, signal) => send({ exit: pid, code, signal }));
  child.once('error', () => undefined);
  send({ id: request.id, pid, startTime: startTime(pid) });
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (!line) return;
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    return;
  }
  start(request);
});
lines.on('close', () => {
  flush();
  process.exit(0);
});
