/**
 * Log downloads stream from the executor in bounded chunks (docs/security.md, "Log files"):
 * the controller asks for one `logs.chunk` at a time and asks for the next only when the client
 * has taken the last one, so a download holds at most one chunk in each process whatever the
 * file's size — a whole-file frame of a 55 MB log exceeded the channel's frame limit and dropped
 * the executor's channel, and six concurrent 45 MB downloads took both processes to ~570 MB.
 *
 *   first chunk (offset 0; tells the size) ─▶ headers sent ─▶ next chunk when the client drained
 *     the last ─▶ … ─▶ `size` bytes sent: end
 *   the file shrank (rotated) or the executor went away mid-way: the response is aborted, never
 *   ended short of its Content-Length, so the client sees a failed download and not a cut file.
 *
 * Each executor serves at most `maxPerExecutor` downloads at once (DownloadSlots); more get 429.
 */
import { Readable } from 'node:stream';
import { LOG_CHUNK_MAX_BYTES } from '../../api/channel-protocol.ts';
import { TooManyRequestsError } from '../../common/errors.ts';

/** What a `logs.chunk` request answers. */
export interface LogChunk {
  base64: string;
  size: number;
}

/** Bytes asked for per chunk: a ~1.4 MB frame, small next to the channel's limit. */
export const DOWNLOAD_CHUNK_BYTES = LOG_CHUNK_MAX_BYTES;

/** Downloads in flight per executor, capped. */
export class DownloadSlots {
  private readonly inUse = new Map<string, number>();
  private readonly maxPerExecutor: number;

  constructor(maxPerExecutor: number) {
    this.maxPerExecutor = maxPerExecutor;
  }

  /** Takes a slot of `executorId` (throws 429 when all are taken); call the result once to give it back. */
  acquire(executorId: string): () => void {
    const used = this.inUse.get(executorId) ?? 0;
    if (used >= this.maxPerExecutor) {
      throw new TooManyRequestsError(`The executor is already serving ${this.maxPerExecutor} log downloads; try again when one has finished`, 5);
    }
    this.inUse.set(executorId, used + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inUse.get(executorId) ?? 1) - 1;
      if (left > 0) this.inUse.set(executorId, left);
      else this.inUse.delete(executorId);
    };
  }
}

/**
 * The file's bytes as a stream, starting with `first` (the chunk at offset 0) and fetching each
 * next chunk on demand, up to the size `first` reported.
 */
export function chunkedDownload(first: LogChunk, fetchChunk: (offset: number, length: number) => Promise<LogChunk>): Readable {
  const size = first.size;
  let offset = 0;
  let pending: LogChunk | undefined = first;
  return new Readable({
    // One chunk buffered here at most: read() is called again only once the consumer wants more.
    highWaterMark: DOWNLOAD_CHUNK_BYTES,
    read() {
      const next = pending ? Promise.resolve(pending) : fetchChunk(offset, Math.min(DOWNLOAD_CHUNK_BYTES, size - offset));
      pending = undefined;
      next.then((chunk) => {
        const bytes = Buffer.from(chunk.base64 ?? '', 'base64').subarray(0, size - offset);
        if (bytes.length === 0 && offset < size) {
          this.destroy(new Error(`the file shrank to ${chunk.size} bytes during the download (rotated?) at ${offset} of ${size}`));
          return;
        }
        offset += bytes.length;
        if (bytes.length > 0) this.push(bytes);
        if (offset >= size) this.push(null);
      }, (error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))));
    },
  });
}
