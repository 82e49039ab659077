/**
 * The executor side of the log endpoints (docs/api.md §5): list the `output.*` files of a workload's
 * log directory, read a window of one as text, or hand over its bytes. File names are reduced
 * to their last path component; anything that tries to climb out is refused.
 *
 * Links are never followed out of the log directory (docs/security.md, "Log files"): a PROCESS
 * workload can write its own directory, so it could plant `output.db -> /var/lib/corral/controller.db`
 * for a read-only user to download. Listing shows regular files only (no links, FIFOs, devices);
 * a file is opened with O_NOFOLLOW (and O_NONBLOCK, so a FIFO cannot hang the read), must be a
 * regular file, and its real path must be inside the real log directory, which itself must be
 * where it should be under the executor's data dir (`base`), not a link to elsewhere.
 */
import { constants } from 'node:fs';
import { open, readdir, readlink, realpath, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { LOG_CHUNK_MAX_BYTES } from '../../api/channel-protocol.ts';

export const DEFAULT_READ_LENGTH = 32_768;
export const MAX_READ_LENGTH = 1024 * 1024;
/** Downloads travel base64 inside one channel frame: refuse absurd sizes instead of choking. */
export const MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024;

/** A refused log request; `status` is what the executor answers (400 bad request, 404 unknown). */
export class LogRequestError extends Error {
  readonly code = 'LOG_REQUEST_REFUSED';
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.status = status;
  }
}

/** Reduces a requested name to an `output.*` file inside `logDir`, refusing traversal. */
export function resolveLogFile(logDir: string, fileName: string): string {
  if (typeof fileName !== 'string' || !fileName) throw new LogRequestError('a log file name is required');
  if (fileName.includes('\0')) throw new LogRequestError('log file names cannot contain NUL bytes');
  if (fileName.split(/[\\/]/).some((part) => part === '..')) throw new LogRequestError(`path traversal is not allowed: ${JSON.stringify(fileName)}`);
  const name = path.basename(fileName);
  if (!name || name === '.' || name === '..') throw new LogRequestError(`invalid log file name: ${JSON.stringify(fileName)}`);
  // The log directory is the workload's own: only `output.*` in it are logs (not work/, the exit file).
  if (!name.startsWith('output.')) throw new LogRequestError(`no such log file: ${name}`);
  return path.join(logDir, name);
}

/** The real path of `logDir`, refused when it (or a parent under `base`) is a link to elsewhere. */
async function realLogDir(logDir: string, base: string | undefined): Promise<string> {
  const real = await realpath(logDir).catch(() => undefined);
  if (real === undefined) throw new LogRequestError('the workload has no log directory here', 404);
  if (base !== undefined) {
    const expected = path.join(await realpath(base), path.relative(base, logDir));
    if (real !== expected) throw new LogRequestError('the log directory is a link out of the executor\'s data dir: refused');
  }
  return real;
}

/** Where an open file really is (Linux: /proc/self/fd); undefined where that cannot be told. */
async function openedPath(handle: FileHandle): Promise<string | undefined> {
  return readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
}

/** Opens a log file for reading without following links out of the log directory. */
async function openLogFile(logDir: string, fileName: string, base: string | undefined): Promise<{ handle: FileHandle; size: number; name: string }> {
  const name = path.basename(resolveLogFile(logDir, fileName));
  const dir = await realLogDir(logDir, base);
  let handle: FileHandle;
  try {
    handle = await open(path.join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LogRequestError(`no such log file: ${name}`);
    if (code === 'ELOOP') throw new LogRequestError(`${name} is a symbolic link: log files are never followed out of the log directory`);
    throw new LogRequestError(`cannot read log file ${name}: ${code ?? (error as Error).message}`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new LogRequestError(`${name} is not a regular file`);
    const real = await openedPath(handle);
    if (real !== undefined && path.dirname(real) !== dir) throw new LogRequestError(`${name} is not inside the log directory`);
    return { handle, size: info.size, name };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** `{files}`: the regular files (not links) whose name starts with `output.`, sorted. */
export async function listLogFiles(logDir: string, base?: string): Promise<{ files: string[] }> {
  try {
    const entries = await readdir(await realLogDir(logDir, base), { withFileTypes: true });
    return { files: entries.filter((e) => e.isFile() && e.name.startsWith('output.')).map((e) => e.name).sort() };
  } catch {
    return { files: [] };
  }
}

/**
 * `{data, offset}` with Drove's semantics: offset -1 → `{data:"", offset:<size>}` (where the end
 * is now); otherwise up to `length` bytes (-1 → 32768, capped at 1 MiB) from `offset`, decoded as
 * UTF-8, with the requested offset echoed back.
 */
export async function readLogFile(logDir: string, fileName: string, offset: number, length: number, base?: string): Promise<{ data: string; offset: number }> {
  if (!Number.isSafeInteger(offset) || offset < -1) throw new LogRequestError(`offset must be a whole number ≥ -1, got ${offset}`);
  if (!Number.isSafeInteger(length) || length < -1) throw new LogRequestError(`length must be a whole number ≥ -1, got ${length}`);
  const { handle, size } = await openLogFile(logDir, fileName, base);
  try {
    if (offset === -1) return { data: '', offset: size };
    const want = Math.min(length === -1 ? DEFAULT_READ_LENGTH : length, MAX_READ_LENGTH);
    if (want === 0 || offset >= size) return { data: '', offset };
    const buffer = Buffer.alloc(Math.min(want, size - offset));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
    return { data: buffer.subarray(0, bytesRead).toString('utf8'), offset };
  } finally {
    await handle.close();
  }
}

/** `{base64, size}`: up to `length` bytes from `offset` (at most LOG_CHUNK_MAX_BYTES), and the file's size now. */
export async function readLogChunk(logDir: string, fileName: string, offset: number, length: number, base?: string): Promise<{ base64: string; size: number }> {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new LogRequestError(`offset must be a whole number ≥ 0, got ${offset}`);
  if (!Number.isSafeInteger(length) || length < 0) throw new LogRequestError(`length must be a whole number ≥ 0, got ${length}`);
  const { handle, size } = await openLogFile(logDir, fileName, base);
  try {
    const want = Math.max(0, Math.min(length, LOG_CHUNK_MAX_BYTES, size - offset));
    if (want === 0) return { base64: '', size };
    const buffer = Buffer.alloc(want);
    const { bytesRead } = await handle.read(buffer, 0, want, offset);
    return { base64: buffer.subarray(0, bytesRead).toString('base64'), size };
  } finally {
    await handle.close();
  }
}

/** `{base64, size}`: the file's bytes (the older whole-file download; see `readLogChunk`). */
export async function downloadLogFile(logDir: string, fileName: string, base?: string): Promise<{ base64: string; size: number }> {
  const { handle, size, name } = await openLogFile(logDir, fileName, base);
  try {
    if (size > MAX_DOWNLOAD_BYTES) {
      throw new LogRequestError(`${name} is ${size} bytes, over the ${MAX_DOWNLOAD_BYTES}-byte download limit; read it in windows instead`);
    }
    const bytes = await handle.readFile();
    return { base64: bytes.toString('base64'), size: bytes.length };
  } finally {
    await handle.close();
  }
}
