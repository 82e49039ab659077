/**
 * Captures a logger's JSON lines for assertions (audit lines, warnings):
 *
 *   const logs = captureLogLines();
 *   await startTestController({ logger: createLogger('test', { level: 'info', destination: logs.destination }) });
 *   expect(logs.lines.some((l) => l.msg === 'audit')).toBe(true);
 */
import { Writable } from 'node:stream';

export interface LogCapture {
  /** Every line written so far, parsed. */
  lines: Record<string, unknown>[];
  /** Pass as the logger's `destination`. */
  destination: Writable;
}

export function captureLogLines(): LogCapture {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, destination };
}
