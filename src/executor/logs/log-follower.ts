/**
 * Follows one workload's `output.log` and hands every complete line to `onLine`, like
 * `tail -F` for a file that is rotated by copytruncate (log-rotator.ts):
 *
 *   open ─▶ poll (every pollMs: read from `offset` to the end, split lines) ─▶ … ─▶ close
 *             │ the rotator is about to truncate: `aroundTruncate` reads to the end first,
 *             │ truncates while holding the follower, then restarts at 0 — nothing doubled
 *             │ size < offset seen by a poll (truncated by someone else): restart at 0
 *   finish: one last read to the end; a last line without its newline is shipped as it is
 *
 * The offset is saved in a cursor file beside the log (fixed-width, rewritten in place: no new
 * inode per save) whenever it moved, so an executor restart resumes where shipping stopped.
 * The cursor counts only bytes of complete lines already handed over.
 */
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { logRejection, type Logger } from '../../common/logger.ts';

/** Longest message body; longer lines are cut in pieces (rsyslog's default limit is 8 KiB per message, header included). */
export const MAX_LINE_BYTES = 7_680;
const CHUNK_BYTES = 64 * 1024;
/** Read per poll before yielding, so a flood in one file cannot starve the others. */
const MAX_BYTES_PER_POLL = 4 * 1024 * 1024;
const CURSOR_WIDTH = 20;

export interface LogFollowerOptions {
  file: string;
  cursorFile: string;
  /** True when the workload was started before this executor did: no cursor means "from the end". */
  resumed: boolean;
  pollMs: number;
  onLine: (line: string) => void;
  logger: Logger;
}

export class LogFollower {
  private readonly options: LogFollowerOptions;
  private log: FileHandle | undefined;
  private cursor: FileHandle | undefined;
  private offset = 0;
  private savedOffset = -1;
  private partial: Buffer = Buffer.alloc(0);
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(options: LogFollowerOptions) {
    this.options = options;
  }

  /** Opens the cursor, picks the starting offset and starts polling. */
  static async start(options: LogFollowerOptions): Promise<LogFollower> {
    const follower = new LogFollower(options);
    await follower.begin();
    return follower;
  }

  /** Reads what is there now (tests, and the rotator before it truncates). */
  drain(): Promise<void> {
    return this.exclusive(() => this.readToEnd());
  }

  /** Runs `truncate` between a full read and a restart at 0, so no line is shipped twice or skipped. */
  aroundTruncate(truncate: () => Promise<void>): Promise<void> {
    return this.exclusive(async () => {
      // No cursor save between the last read and the truncation: what is written in that
      // window is lost to copytruncate (it is in neither file), so the window stays as short as can be.
      await this.readToEnd(Infinity, false);
      await truncate();
      // The rest of a line cut by the rotation is in the rotated file; ship what we have of it.
      this.flushPartial();
      this.offset = 0;
    });
  }

  /** The workload ended: ship everything, the unterminated last line too, then close. */
  async finish(): Promise<void> {
    await this.exclusive(async () => {
      await this.readToEnd(Infinity);
      this.flushPartial();
    });
    await this.close();
  }

  /** Stops following (executor shutdown), keeping the cursor for the next executor. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.exclusive(async () => {
      await this.saveCursor();
      await this.log?.close().catch(() => undefined);
      await this.cursor?.close().catch(() => undefined);
      this.log = this.cursor = undefined;
    });
  }

  private async begin(): Promise<void> {
    const { cursorFile, resumed } = this.options;
    let saved: number | undefined;
    try {
      this.cursor = await open(cursorFile, 'r+');
      const { buffer, bytesRead } = await this.cursor.read(Buffer.alloc(CURSOR_WIDTH), 0, CURSOR_WIDTH, 0);
      const value = Number(buffer.subarray(0, bytesRead).toString('ascii'));
      if (bytesRead === CURSOR_WIDTH && Number.isSafeInteger(value)) saved = value;
    } catch {
      this.cursor = await open(cursorFile, 'w+').catch(() => undefined);
    }
    const size = (await this.openLog()) ? (await this.log!.stat()).size : 0;
    // A cursor past the end: the file was truncated after it was saved; its new content is unread.
    this.offset = saved !== undefined ? (saved <= size ? saved : 0) : resumed ? size : 0;
    await this.saveCursor();
    this.timer = setInterval(() => {
      this.exclusive(() => this.readToEnd()).catch(logRejection(this.options.logger, 'log shipping: reading the log failed', { file: this.options.file }));
    }, this.options.pollMs);
    this.timer.unref();
  }

  /** Serialises polls, drains and truncations: each sees the offset the previous one left. */
  private exclusive(work: () => Promise<void>): Promise<void> {
    const run = this.queue.then(work).catch((error: unknown) => {
      this.options.logger.warn({ file: this.options.file, err: (error as Error).message }, 'log shipping: reading the log failed');
    });
    this.queue = run;
    return run;
  }

  private async openLog(): Promise<boolean> {
    if (this.log) return true;
    // Never through a link (docs/security.md, "Log files"): a workload must not ship another file.
    this.log = await open(this.options.file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
    return this.log !== undefined;
  }

  private async readToEnd(limit = MAX_BYTES_PER_POLL, save = true): Promise<void> {
    if (!this.log && (this.closed || !(await this.openLog()))) return;
    const log = this.log!;
    const { size } = await log.stat();
    if (size < this.offset) {
      this.flushPartial();
      this.offset = 0;
    }
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let read = 0;
    while (read < limit) {
      const { bytesRead } = await log.read(buffer, 0, CHUNK_BYTES, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      read += bytesRead;
      this.consume(buffer.subarray(0, bytesRead));
    }
    if (save && !this.closed) await this.saveCursor();
  }

  private consume(chunk: Buffer): void {
    let data = this.partial.length > 0 ? Buffer.concat([this.partial, chunk]) : chunk;
    let newline: number;
    while ((newline = data.indexOf(0x0a)) >= 0) {
      this.emit(data.subarray(0, newline));
      data = data.subarray(newline + 1);
    }
    while (data.length > MAX_LINE_BYTES) {
      const cut = utf8Boundary(data, MAX_LINE_BYTES);
      this.emit(data.subarray(0, cut));
      data = data.subarray(cut);
    }
    // Copied: `chunk` is the reused read buffer.
    this.partial = Buffer.from(data);
  }

  private flushPartial(): void {
    if (this.partial.length > 0) this.emit(this.partial);
    this.partial = Buffer.alloc(0);
  }

  private emit(bytes: Buffer): void {
    for (let rest = bytes; rest.length > 0;) {
      const cut = rest.length > MAX_LINE_BYTES ? utf8Boundary(rest, MAX_LINE_BYTES) : rest.length;
      const line = rest.subarray(0, cut).toString('utf8').replace(/\r$/, '');
      rest = rest.subarray(cut);
      // Blank lines carry nothing a log server could show.
      if (line.trim() !== '') this.options.onLine(line);
    }
  }

  private async saveCursor(): Promise<void> {
    const value = this.offset - this.partial.length;
    if (!this.cursor || value === this.savedOffset) return;
    await this.cursor.write(Buffer.from(String(value).padStart(CURSOR_WIDTH, '0'), 'ascii'), 0, CURSOR_WIDTH, 0);
    this.savedOffset = value;
  }
}

/** The largest cut ≤ `max` that does not split a UTF-8 sequence (continuation bytes are 10xxxxxx). */
function utf8Boundary(data: Buffer, max: number): number {
  let cut = max;
  while (cut > 0 && (data[cut] & 0xc0) === 0x80) cut--;
  return cut === 0 ? max : cut;
}
