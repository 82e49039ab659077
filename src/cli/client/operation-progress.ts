/**
 * How `--wait` / `ops watch` show an operation's progress on stderr: on a terminal, one line
 * redrawn in place (cli-progress) that always fits the terminal's width; otherwise a plain line
 * whenever the state or the counts change. The operation id is not repeated on the progress line:
 * the "accepted (operation OP-…)" line above it already names it, and at 39 characters it left an
 * 80-column terminal no room for the counts.
 */
import cliProgress from 'cli-progress';
import type { OperationRecord } from '../../api/operation-types.ts';
import type { Clock } from '../../common/clock.ts';
import { formatSpan, formatTime } from './output-format.ts';

export interface ProgressView {
  update(record: OperationRecord): void;
  log(line: string): void;
  stop(): void;
}

/** Widest the bar gets, however wide the terminal: past this it only adds distance to read across. */
export const MAX_BAR_WIDTH = 60;
/** A bar narrower than this says nothing the counts do not: it is left out. */
const MIN_BAR_WIDTH = 10;
const FILLED = '\u2588';
const EMPTY = '\u2591';

export interface ProgressFigures {
  state: string;
  done: number;
  failed: number;
  inFlight: number;
  total: number;
  /** Milliseconds since the operation was created. */
  elapsedMs: number;
}

export function figuresOf(record: OperationRecord, now: number): ProgressFigures {
  const p = record.progress ?? { total: 0, done: 0, failed: 0, inFlight: 0 };
  return { state: record.state, done: p.done, failed: p.failed, inFlight: p.inFlight, total: p.total, elapsedMs: Math.max(0, now - record.created) };
}

/** `RUNNING: 2/5 done, 0 failed, 1 in flight` — the plain (non-terminal) progress text. */
export function countsText(f: Pick<ProgressFigures, 'state' | 'done' | 'failed' | 'inFlight' | 'total'>): string {
  return `${f.state}: ${f.done}/${f.total} done, ${f.failed} failed, ${f.inFlight} in flight`;
}

/**
 * The terminal progress line for a terminal `columns` wide: `[████░░░░] RUNNING: 2/5 done, 0
 * failed, 1 in flight, 12s`. The text comes first in priority — done/total and the elapsed time
 * always show, in a shorter form if the full one does not fit — and the bar takes what room is
 * left (none below MIN_BAR_WIDTH, at most MAX_BAR_WIDTH). The last column stays empty: writing
 * into it makes some terminals wrap.
 */
export function progressLine(f: ProgressFigures, columns: number): string {
  const room = Math.max(1, columns - 1);
  const elapsed = formatSpan(f.elapsedMs);
  const texts = [
    `${countsText(f)}, ${elapsed}`,
    `${f.state}: ${f.done}/${f.total} done, ${f.failed} failed, ${elapsed}`,
    `${f.done}/${f.total} done, ${elapsed}`,
    `${f.done}/${f.total} ${elapsed}`,
  ];
  const text = texts.find((t) => t.length <= room) ?? texts[texts.length - 1];
  const barWidth = Math.min(MAX_BAR_WIDTH, room - text.length - 3);
  if (barWidth < MIN_BAR_WIDTH) return text;
  const fraction = f.total > 0 ? Math.min(1, (f.done + f.failed) / f.total) : 0;
  const filled = Math.round(fraction * barWidth);
  return `[${FILLED.repeat(filled)}${EMPTY.repeat(barWidth - filled)}] ${text}`;
}

/** Non-terminal progress: one line on stderr whenever the state or the counts change. */
export class LineView implements ProgressView {
  private last = '';
  private readonly clock: Clock;
  constructor(clock: Clock) {
    this.clock = clock;
  }
  update(record: OperationRecord): void {
    const text = `${record.operationId} ${countsText(figuresOf(record, this.clock.now()))}`;
    if (text === this.last) return;
    this.last = text;
    process.stderr.write(`[${formatTime(this.clock.now()).slice(11)}] ${text}\n`);
  }
  log(line: string): void {
    process.stderr.write(`  ${line}\n`);
  }
  stop(): void {}
}

interface BarPayload {
  record?: OperationRecord;
}

/**
 * Terminal progress: a cli-progress line redrawn in place, formatted by progressLine for the
 * terminal's width at each redraw (so a resized terminal is followed); messages are logged above it.
 */
export class BarView implements ProgressView {
  private readonly bars: cliProgress.MultiBar;
  private bar: cliProgress.SingleBar | undefined;
  private stopped = false;
  constructor(clock: Clock) {
    this.bars = new cliProgress.MultiBar({
      format: (_options, params, payload: BarPayload) => (payload.record ? progressLine(figuresOf(payload.record, clock.now()), params.maxWidth) : ''),
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      stream: process.stderr,
    });
  }
  update(record: OperationRecord): void {
    if (this.stopped) return;
    const p = record.progress ?? { total: 0, done: 0, failed: 0, inFlight: 0 };
    const total = Math.max(p.total, 1);
    const payload: BarPayload = { record };
    if (!this.bar) this.bar = this.bars.create(total, p.done + p.failed, payload);
    else {
      this.bar.setTotal(total);
      this.bar.update(p.done + p.failed, payload);
    }
  }
  log(line: string): void {
    if (!this.stopped) this.bars.log(`${line}\n`);
  }
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.bars.stop();
  }
}
