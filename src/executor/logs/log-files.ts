/**
 * The executor side of the log endpoints (API.md §5): list the `output.*` files of a workload's
 * log directory, read a window of one as text, or hand over its bytes. File names are reduced
 * to their last path component; anything that tries to climb out is refused.
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

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

async function regularFile(file: string): Promise<number> {
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LogRequestError(`no such log file: ${path.basename(file)}`);
    throw new LogRequestError(`cannot read log file ${path.basename(file)}: ${(error as Error).message}`);
  }
  if (!info.isFile()) throw new LogRequestError(`${path.basename(file)} is not a regular file`);
  return info.size;
}

/** `{files}`: the regular files whose name starts with `output.`, sorted. */
export async function listLogFiles(logDir: string): Promise<{ files: string[] }> {
  let names: string[];
  try {
    names = await readdir(logDir);
  } catch {
    return { files: [] };
  }
  const files: string[] = [];
  await Promise.all(names.filter((name) => name.startsWith('output.')).map(async (name) => {
    const info = await stat(path.join(logDir, name)).catch(() => undefined);
    if (info?.isFile()) files.push(name);
  }));
  return { files: files.sort() };
}

/**
 * `{data, offset}` with Drove's semantics: offset -1 → `{data:"", offset:<size>}` (where the end
 * is now); otherwise up to `length` bytes (-1 → 32768, capped at 1 MiB) from `offset`, decoded as
 * UTF-8, with the requested offset echoed back.
 */
export async function readLogFile(logDir: string, fileName: string, offset: number, length: number): Promise<{ data: string; offset: number }> {
  if (!Number.isSafeInteger(offset) || offset < -1) throw new LogRequestError(`offset must be a whole number ≥ -1, got ${offset}`);
  if (!Number.isSafeInteger(length) || length < -1) throw new LogRequestError(`length must be a whole number ≥ -1, got ${length}`);
  const file = resolveLogFile(logDir, fileName);
  const size = await regularFile(file);
  if (offset === -1) return { data: '', offset: size };
  const want = Math.min(length === -1 ? DEFAULT_READ_LENGTH : length, MAX_READ_LENGTH);
  if (want === 0 || offset >= size) return { data: '', offset };
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(Math.min(want, size - offset));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
    return { data: buffer.subarray(0, bytesRead).toString('utf8'), offset };
  } finally {
    await handle.close();
  }
}

/** `{base64, size}`: the file's bytes. */
export async function downloadLogFile(logDir: string, fileName: string): Promise<{ base64: string; size: number }> {
  const file = resolveLogFile(logDir, fileName);
  const size = await regularFile(file);
  if (size > MAX_DOWNLOAD_BYTES) {
    throw new LogRequestError(`${path.basename(file)} is ${size} bytes, over the ${MAX_DOWNLOAD_BYTES}-byte download limit; read it in windows instead`);
  }
  const bytes = await readFile(file);
  return { base64: bytes.toString('base64'), size: bytes.length };
}
