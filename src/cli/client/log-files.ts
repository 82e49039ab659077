/**
 * Log files of app instances and tasks (docs/api.md §5): list, tail (the read/offset protocol,
 * followed like `tail -f`) and download. These endpoints do not use the envelope; 204 means the
 * instance/task is unknown or its executor is not connected.
 */
import { createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { CommandContext } from './command-context.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { seg, type RawResponse } from './http-client.ts';

/** Pause between reads when the file has nothing new (tail's follow rhythm, not correctness). */
const TAIL_IDLE_MS = Number(process.env.CORRAL_CLI_TAIL_MS) > 0 ? Number(process.env.CORRAL_CLI_TAIL_MS) : 1000;
const CHUNK = 32_768;

/** What a log target is called in messages, and its path prefix. */
export interface LogTarget {
  /** e.g. `/logfiles/tasks/orders/rollup-42` */
  base: string;
  /** e.g. `task orders/rollup-42` */
  label: string;
}

export function appInstanceLogTarget(appId: string, instanceId: string): LogTarget {
  return { base: `/logfiles/applications/${seg(appId)}/${seg(instanceId)}`, label: `instance ${appId}/${instanceId}` };
}

export function localServiceInstanceLogTarget(serviceId: string, instanceId: string): LogTarget {
  return { base: `/logfiles/localservices/${seg(serviceId)}/${seg(instanceId)}`, label: `local-service instance ${serviceId}/${instanceId}` };
}

export function taskLogTarget(sourceAppName: string, taskId: string): LogTarget {
  return { base: `/logfiles/tasks/${seg(sourceAppName)}/${seg(taskId)}`, label: `task ${sourceAppName}/${taskId}` };
}

/** Turns a non-200 log answer into the error of its class. */
function checkLogResponse(response: RawResponse, target: LogTarget, what: string): void {
  if (response.status === 200) return;
  if (response.status === 204) {
    throw new CliError(EXIT.NOT_FOUND, `no logs for ${target.label}: it is unknown or its executor is not connected`);
  }
  if (response.status === 401) throw new CliError(EXIT.UNAUTHORIZED, 'the controller refused the credentials (HTTP 401); check -u/-p or -t (before the command)');
  if (response.status === 403) throw new CliError(EXIT.FORBIDDEN, 'your role may not read logs (HTTP 403); the READ_ONLY, READ_WRITE and ROOT roles can');
  let reason = response.body.toString('utf8').slice(0, 300);
  try {
    const parsed = JSON.parse(reason) as { error?: string; message?: string };
    reason = parsed.error ?? parsed.message ?? reason;
  } catch { /* keep the raw text */ }
  throw new CliError(EXIT.FAILED, `${what} of ${target.label} failed (HTTP ${response.status})${reason ? `: ${reason}` : ''}`);
}

/** Names of the log files (`output.log` is the live one). */
export async function listLogFiles(ctx: CommandContext, target: LogTarget): Promise<string[]> {
  const response = await ctx.client().call('GET', `${target.base}/list`);
  checkLogResponse(response, target, 'listing logs');
  const parsed = JSON.parse(response.body.toString('utf8')) as { files?: string[] };
  return parsed.files ?? [];
}

interface ReadAnswer {
  data: string;
  offset: number;
}

async function readChunk(ctx: CommandContext, target: LogTarget, file: string, offset?: number, length?: number, signal?: AbortSignal): Promise<ReadAnswer> {
  const query: Record<string, number | undefined> = { offset, length };
  const response = await ctx.client().call('GET', `${target.base}/read/${seg(file)}`, { query, signal });
  checkLogResponse(response, target, `reading ${file}`);
  const parsed = JSON.parse(response.body.toString('utf8')) as Partial<ReadAnswer>;
  return { data: typeof parsed.data === 'string' ? parsed.data : '', offset: Number(parsed.offset ?? 0) };
}

/**
 * Prints the last `lines` lines of the file, then (with `follow`) everything appended to it,
 * until Ctrl-C or until the target goes away. Offsets advance by the UTF-8 byte length of
 * what was read, since the executor reads bytes at byte offsets.
 */
export async function tailLog(ctx: CommandContext, target: LogTarget, file: string, options: { lines: number; follow: boolean; write?: (text: string) => void }): Promise<void> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  // Ctrl-C is the normal way to end a follow: from the first moment it ends the command cleanly.
  const abort = new AbortController();
  const stop = () => abort.abort();
  if (options.follow) process.once('SIGINT', stop);
  try {
    const end = (await readChunk(ctx, target, file, undefined, undefined, abort.signal)).offset;
    let offset = end;
    if (options.lines > 0 && end > 0) {
      const start = Math.max(0, end - CHUNK);
      const head = await readFully(ctx, target, file, start, end, abort.signal);
      const text = start > 0 ? head.slice(head.indexOf('\n') + 1) : head;
      write(lastLines(text, options.lines));
    }
    while (options.follow && !abort.signal.aborted) {
      const chunk = await readChunk(ctx, target, file, offset, CHUNK, abort.signal);
      if (chunk.data.length > 0) {
        write(chunk.data);
        offset += Buffer.byteLength(chunk.data, 'utf8');
        continue;
      }
      await delay(TAIL_IDLE_MS, undefined, { signal: abort.signal });
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    process.off('SIGINT', stop);
  }
}

async function readFully(ctx: CommandContext, target: LogTarget, file: string, start: number, end: number, signal: AbortSignal): Promise<string> {
  let text = '';
  let offset = start;
  while (offset < end) {
    const chunk = await readChunk(ctx, target, file, offset, end - offset, signal);
    if (!chunk.data) break;
    text += chunk.data;
    offset += Buffer.byteLength(chunk.data, 'utf8');
  }
  return text;
}

/** The last `n` lines of `text`, keeping a trailing newline if there was one. */
export function lastLines(text: string, n: number): string {
  if (n <= 0 || !text) return '';
  const endsWithNewline = text.endsWith('\n');
  const lines = (endsWithNewline ? text.slice(0, -1) : text).split('\n');
  return lines.slice(-n).join('\n') + (endsWithNewline ? '\n' : '');
}

/**
 * Downloads one log file to `out` (a file or directory; default: the file's own name in the
 * current directory; `-` = stdout). Written to a temp file first so a failed download never
 * leaves a truncated file under the final name.
 */
export async function downloadLog(ctx: CommandContext, target: LogTarget, file: string, out: string | undefined): Promise<string> {
  const stream = await ctx.client().stream(`${target.base}/download/${seg(file)}`);
  if (stream.statusCode !== 200) {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    checkLogResponse({ status: stream.statusCode ?? 0, headers: stream.headers, body: Buffer.concat(chunks) }, target, `downloading ${file}`);
  }
  if (out === '-') {
    await pipeline(stream, process.stdout, { end: false });
    return 'standard output';
  }
  let destination = out ? path.resolve(out) : path.resolve(path.basename(file));
  if (out && (out.endsWith('/') || isDirectory(destination))) destination = path.join(destination, path.basename(file));
  const temp = `${destination}.${process.pid}.part`;
  try {
    await pipeline(stream, createWriteStream(temp));
    renameSync(temp, destination);
  } catch (error) {
    rmSync(temp, { force: true });
    if (error instanceof CliError) throw error;
    throw new CliError(EXIT.FAILED, `download of ${file} to ${destination} failed: ${(error as Error).message}`);
  }
  return destination;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
