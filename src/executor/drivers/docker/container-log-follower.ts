/**
 * Copies a container's stdout/stderr (demultiplexed, interleaved as they come) into
 * `logDir/output.log`, the file process workloads write too. The file is opened O_APPEND so the
 * executor's copytruncate rotation keeps working underneath us.
 *
 * Resuming: the follower keeps a cursor (`logDir/.docker-log-cursor.json`: container id, last
 * engine timestamp written, lines written with that timestamp), updated only after the bytes
 * reached the file. A restarted executor asks the engine for logs `since` that second and skips
 * what the cursor says was written, so resuming is exact; only lines written in the last
 * flush interval (500 ms) before a crash can appear twice.
 *
 *   following ──stream ends──▶ container still running? ──yes──▶ reconnect (from cursor)
 *       │    ╲                             │no
 *       │     containerExited() + grace ─▶ cut stream, read the rest once ─▶ done
 *       └──stop()──▶ stopped (cursor flushed; a successor resumes)
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { logRejection, type Logger } from '../../../common/logger.ts';
import { FrameParser, ResumeFilter, splitTimestamp, type LogFrame, type LogPosition } from './log-frames.ts';

export const CURSOR_FILE = '.docker-log-cursor.json';
const RECONNECT_DELAY_MS = 1_000;
const MAX_IDLE_RECONNECTS = 30;

interface CursorFile {
  containerId: string;
  tsNanos: string;
  count: number;
}

export interface LogFollowerOptions {
  docker: Docker;
  containerId: string;
  logDir: string;
  logger: Logger;
  flushIntervalMs?: number;
}

async function readCursor(path: string, containerId: string): Promise<LogPosition | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as CursorFile;
    if (parsed.containerId !== containerId) return undefined;
    return { tsNanos: BigInt(parsed.tsNanos), count: parsed.count };
  } catch {
    return undefined;
  }
}

export class ContainerLogFollower {
  /** Resolves when following has ended for good (container gone/exited, or stop()). */
  readonly done: Promise<void>;
  private readonly options: LogFollowerOptions;
  private readonly cursorPath: string;
  private readonly abort = new AbortController();
  private resolveDone!: () => void;
  private file: WriteStream | undefined;
  private filter: ResumeFilter | undefined;
  private confirmed: LogPosition | undefined;
  private flushedConfirmed: LogPosition | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private started = false;
  private exited = false;
  private exitTimer: NodeJS.Timeout | undefined;
  private cutStream: AbortController | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(options: LogFollowerOptions) {
    this.options = options;
    this.cursorPath = join(options.logDir, CURSOR_FILE);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Begins following in the background; failures are logged, never thrown. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.run()
      .catch((error: unknown) => this.options.logger.warn({ err: error, containerId: this.options.containerId }, 'container log following failed'))
      .finally(() => this.resolveDone());
  }

  /** Stops following (executor shutdown or destroy); the cursor is flushed so a successor resumes. */
  async stop(): Promise<void> {
    this.abort.abort();
    if (this.started) await this.done;
  }

  private async run(): Promise<void> {
    const { logDir, containerId } = this.options;
    await mkdir(logDir, { recursive: true });
    this.confirmed = await readCursor(this.cursorPath, containerId);
    this.flushedConfirmed = this.confirmed;
    this.filter = new ResumeFilter(this.confirmed);
    this.file = createWriteStream(join(logDir, 'output.log'), { flags: 'a' });
    try {
      let idleReconnects = 0;
      while (!this.abort.signal.aborted) {
        const { wrote, cut } = await this.followOnce();
        if (this.abort.signal.aborted) break;
        if (this.exited || !(await this.stillRunning())) {
          // A stream we cut (it outlived the container) may have missed the last lines.
          if (cut) await this.readRemainder();
          break;
        }
        idleReconnects = wrote ? 0 : idleReconnects + 1;
        if (idleReconnects > MAX_IDLE_RECONNECTS) {
          this.options.logger.warn({ containerId }, 'container log stream keeps ending while the container runs; giving up following');
          break;
        }
        await delay(RECONNECT_DELAY_MS, this.abort.signal);
        this.filter.resume();
      }
    } finally {
      clearTimeout(this.exitTimer);
      await new Promise<void>((resolve) => this.file!.end(resolve));
      clearTimeout(this.flushTimer);
      await this.flushCursor();
    }
  }

  /**
   * Tells the follower the container has exited. Engines normally end the log stream then, but
   * Podman sometimes keeps it open when the container exits as the stream starts; after
   * `graceMs` the stream is cut and the rest is read once without following.
   */
  containerExited(graceMs: number): void {
    if (this.exited) return;
    this.exited = true;
    this.exitTimer = setTimeout(() => this.cutStream?.abort(), graceMs);
  }

  private async stillRunning(): Promise<boolean> {
    try {
      const info = await this.options.docker.getContainer(this.options.containerId).inspect();
      return info.State.Running === true;
    } catch {
      return false;
    }
  }

  private sinceSeconds(): number {
    return this.filter!.position ? Number(this.filter!.position.tsNanos / 1_000_000_000n) : 0;
  }

  /** Writes the lines of `frames` the filter has not seen; true if it wrote any. */
  private writeFrames(frames: LogFrame[], source?: NodeJS.ReadableStream): boolean {
    let wrote = false;
    for (const frame of frames) {
      const line = splitTimestamp(frame.payload);
      if (!this.filter!.accept(line.tsNanos)) continue;
      wrote = true;
      const position = this.filter!.position;
      const flowing = this.file!.write(line.text, () => this.confirm(position));
      if (!flowing && source) {
        source.pause();
        this.file!.once('drain', () => source.resume());
      }
    }
    return wrote;
  }

  /** One following log stream from the engine. */
  private async followOnce(): Promise<{ wrote: boolean; cut: boolean }> {
    const cutStream = new AbortController();
    this.cutStream = cutStream;
    if (this.exited) setTimeout(() => cutStream.abort(), 0);
    const stop = AbortSignal.any([this.abort.signal, cutStream.signal]);
    let stream: NodeJS.ReadableStream & { destroy(): void };
    try {
      stream = (await this.options.docker.getContainer(this.options.containerId).logs({
        follow: true,
        stdout: true,
        stderr: true,
        timestamps: true,
        since: this.sinceSeconds(),
        abortSignal: stop,
      })) as unknown as NodeJS.ReadableStream & { destroy(): void };
    } catch (error) {
      if (!stop.aborted) this.options.logger.debug({ err: error }, 'could not open the container log stream');
      return { wrote: false, cut: cutStream.signal.aborted };
    }
    const parser = new FrameParser();
    let wrote = false;
    await new Promise<void>((resolve) => {
      const finish = () => {
        stop.removeEventListener('abort', onStop);
        resolve();
      };
      const onStop = () => {
        stream.destroy();
        finish();
      };
      if (stop.aborted) return onStop();
      stop.addEventListener('abort', onStop, { once: true });
      stream.on('data', (chunk: Buffer) => {
        if (this.writeFrames(parser.push(chunk), stream)) wrote = true;
      });
      stream.on('end', finish);
      stream.on('close', finish);
      stream.on('error', finish);
    });
    return { wrote, cut: cutStream.signal.aborted && !this.abort.signal.aborted };
  }

  /** After a cut stream: everything since the cursor, once, without following. */
  private async readRemainder(): Promise<void> {
    this.filter!.resume();
    try {
      const body = (await this.options.docker.getContainer(this.options.containerId).logs({
        follow: false,
        stdout: true,
        stderr: true,
        timestamps: true,
        since: this.sinceSeconds(),
        abortSignal: this.abort.signal,
      })) as unknown as Buffer;
      this.writeFrames(new FrameParser().push(Buffer.isBuffer(body) ? body : Buffer.from(String(body))));
    } catch (error) {
      if (!this.abort.signal.aborted) this.options.logger.debug({ err: error }, 'could not read the rest of the container log');
    }
  }

  private confirm(position: LogPosition | undefined): void {
    this.confirmed = position;
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flushCursor().catch(logRejection(this.options.logger, 'saving the container log cursor failed', { containerId: this.options.containerId }));
    }, this.options.flushIntervalMs ?? 500);
  }

  /** Serialised: the timer's flush and the final one must not race on the temporary file. */
  private flushCursor(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeCursor());
    return this.flushing;
  }

  private async writeCursor(): Promise<void> {
    const position = this.confirmed;
    if (!position || position === this.flushedConfirmed) return;
    this.flushedConfirmed = position;
    const body: CursorFile = { containerId: this.options.containerId, tsNanos: position.tsNanos.toString(), count: position.count };
    const temporary = `${this.cursorPath}.tmp`;
    try {
      await writeFile(temporary, JSON.stringify(body));
      await rename(temporary, this.cursorPath);
    } catch (error) {
      this.options.logger.warn({ err: error, path: this.cursorPath }, 'could not save the container log cursor');
    }
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
