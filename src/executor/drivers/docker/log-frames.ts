/**
 * Pieces of the Docker log protocol: the 8-byte multiplexed frame header (non-TTY containers)
 * and the RFC 3339 timestamp the engine puts in front of each line when asked to.
 */

export interface LogFrame {
  /** 1 = stdout, 2 = stderr (0 = stdin, never seen here). */
  stream: number;
  payload: Buffer;
}

/** Splits the engine's multiplexed byte stream into frames, whatever the chunking. */
export class FrameParser {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): LogFrame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: LogFrame[] = [];
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      frames.push({ stream: this.pending[0], payload: this.pending.subarray(8, 8 + size) });
      this.pending = this.pending.subarray(8 + size);
    }
    return frames;
  }
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}) /;

export interface StampedLine {
  /** Nanoseconds since the epoch; undefined when the frame carried no timestamp. */
  tsNanos?: bigint;
  text: Buffer;
}

/** Separates the engine's timestamp prefix from the line. Engines differ in precision (Podman: seconds). */
export function splitTimestamp(payload: Buffer): StampedLine {
  const head = payload.subarray(0, 40).toString('latin1');
  const match = TIMESTAMP.exec(head);
  if (!match) return { text: payload };
  const millis = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(millis)) return { text: payload };
  const fraction = BigInt((match[2] ?? '').padEnd(9, '0'));
  return { tsNanos: BigInt(millis) * 1_000_000n + fraction, text: payload.subarray(match[0].length) };
}

/** A position in a container's log: the last timestamp written and how many lines carried it. */
export interface LogPosition {
  tsNanos: bigint;
  count: number;
}

/**
 * Decides, line by line, what to write when resuming from `resumeFrom`: lines older than the
 * position and the first `count` lines at its timestamp were written before. Tracks the new
 * position as lines are accepted.
 */
export class ResumeFilter {
  private skippingAt: LogPosition | undefined;
  private seenAtResume = 0;
  position: LogPosition | undefined;

  constructor(resumeFrom: LogPosition | undefined) {
    this.skippingAt = resumeFrom;
    this.position = resumeFrom ? { ...resumeFrom } : undefined;
  }

  /** True when the line is new and must be written; updates `position` accordingly. */
  accept(tsNanos: bigint | undefined): boolean {
    if (tsNanos === undefined) return true;
    if (this.skippingAt) {
      if (tsNanos < this.skippingAt.tsNanos) return false;
      if (tsNanos === this.skippingAt.tsNanos && this.seenAtResume < this.skippingAt.count) {
        this.seenAtResume += 1;
        return false;
      }
      this.skippingAt = undefined;
    }
    if (this.position && this.position.tsNanos === tsNanos) this.position = { tsNanos, count: this.position.count + 1 };
    else this.position = { tsNanos, count: 1 };
    return true;
  }

  /** Restarts skipping from `position` (used when the follower reconnects). */
  resume(): void {
    this.skippingAt = this.position ? { ...this.position } : undefined;
    this.seenAtResume = 0;
  }
}
