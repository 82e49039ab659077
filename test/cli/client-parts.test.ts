import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SseParser, formatEvent } from '../../src/cli/client/cluster-events.ts';
import { unwrapEnvelope, queryString } from '../../src/cli/client/http-client.ts';
import { lastLines } from '../../src/cli/client/log-files.ts';
import { usageProblem } from '../../src/cli/client/index.ts';
import { MAX_BAR_WIDTH, progressLine } from '../../src/cli/client/operation-progress.ts';
import { CliError, EXIT, EXIT_CODE_HELP } from '../../src/cli/client/exit-codes.ts';

function answer(status: number, body: unknown) {
  return { status, headers: {}, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) };
}

function classify(status: number, body: unknown): CliError {
  try {
    unwrapEnvelope('GET', '/x', answer(status, body));
  } catch (error) {
    return error as CliError;
  }
  throw new Error('expected an error');
}

describe('envelope handling (docs/api.md §1.4)', () => {
  it('returns data of a SUCCESS envelope, undefined when data is absent', () => {
    expect(unwrapEnvelope('GET', '/x', answer(200, { status: 'SUCCESS', data: { a: 1 }, message: 'success' }))).toEqual({ a: 1 });
    expect(unwrapEnvelope('POST', '/x', answer(200, { status: 'SUCCESS', message: 'success' }))).toBeUndefined();
  });

  it('maps each failure to the exit code of its class, keeping the server message and validation errors', () => {
    const validation = classify(400, { status: 'FAILED', message: 'Command validation failure', data: { validationErrors: ['App a-1 already exists'] } });
    expect([validation.exitCode, validation.message, validation.details]).toEqual([EXIT.FAILED, 'Command validation failure', ['App a-1 already exists']]);
    expect(classify(200, { status: 'FAILED', message: 'App x-1 not found' }).exitCode).toBe(EXIT.NOT_FOUND);
    expect(classify(200, { status: 'FAILED', message: 'No such task instance a/b' }).exitCode).toBe(EXIT.NOT_FOUND);
    expect(classify(200, { status: 'FAILED', message: 'Cluster is in maintenance mode' }).exitCode).toBe(EXIT.FAILED);
    expect(classify(400, { status: 'FAILED', message: 'This node is not the leader controller' }).exitCode).toBe(EXIT.NOT_LEADER);
    expect(classify(401, '').exitCode).toBe(EXIT.UNAUTHORIZED);
    expect(classify(403, '').exitCode).toBe(EXIT.FORBIDDEN);
    expect(classify(404, '').message).toContain('does not serve GET /apis/v1/x');
    const crash = classify(500, { status: 'FAILED', message: 'Unexpected Server error', data: { failure: 'boom' } });
    expect([crash.exitCode, crash.details]).toEqual([EXIT.FAILED, ['boom']]);
    expect(classify(502, '<html>bad gateway</html>').message).toContain('HTTP 502 <html>bad gateway</html>');
  });

  it('repeats multi-valued query parameters (docs/api.md §1.2)', () => {
    expect(queryString({ id: ['a', 'b'], size: 5, skip: undefined })).toBe('?id=a&id=b&size=5');
    expect(queryString({})).toBe('');
  });
});

describe('server-sent events parser', () => {
  it('assembles events across chunk boundaries and ignores comments and other fields', () => {
    const parser = new SseParser();
    expect(parser.push(': keep-alive\n\nevent: cluster\ndata: {"a"')).toEqual([]);
    expect(parser.push(':1}\n\r\ndata: first\ndata: second\n\n')).toEqual(['{"a":1}', 'first\nsecond']);
    expect(parser.push('id: 7\n\n')).toEqual([]);
  });

  it('formats an event on one line with its metadata', () => {
    const line = formatEvent({ type: 'APP_STATE_CHANGE', id: 'e1', time: new Date(2024, 0, 2, 3, 4, 5).getTime(), metadata: { APP_ID: 'a-1', CURRENT_STATE: 'RUNNING' } });
    expect(line).toMatch(/^2024-01-02 03:04:05 {2}APP_STATE_CHANGE +APP_ID=a-1 CURRENT_STATE=RUNNING$/);
  });
});

describe('lastLines', () => {
  it('keeps the last n lines and the trailing newline', () => {
    expect(lastLines('a\nb\nc\n', 2)).toBe('b\nc\n');
    expect(lastLines('a\nb\nc', 2)).toBe('b\nc');
    expect(lastLines('a\n', 5)).toBe('a\n');
    expect(lastLines('a\nb\n', 0)).toBe('');
  });
});

describe('exit code documentation', () => {
  it('docs/cli.md has a row for every exit code', () => {
    const doc = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');
    for (const [code] of EXIT_CODE_HELP) expect(doc).toMatch(new RegExp(`^\\| ${code} \\| `, 'm'));
    expect(EXIT_CODE_HELP.map(([code]) => code)).toEqual([...new Set(Object.values(EXIT))].sort((a, b) => a - b));
  });
});

describe('event metadata times', () => {
  it('shows epoch milliseconds under time keys as local times, and other numbers as they are', () => {
    const created = new Date(2024, 0, 2, 3, 4, 1).getTime();
    const line = formatEvent({ type: 'INSTANCE_STATE_CHANGE', id: 'e2', time: created + 4000, metadata: { CREATED: created, CURRENT_INSTANCES: 3, RESULT_EXIT_CODE: 0 } });
    expect(line).toBe('2024-01-02 03:04:05  INSTANCE_STATE_CHANGE          CREATED=2024-01-02 03:04:01 CURRENT_INSTANCES=3 RESULT_EXIT_CODE=0');
  });
});

describe('usage problems as one clause', () => {
  it("joins commander's sentences and drops the final period, so '; see …' can follow", () => {
    expect(usageProblem("error: too many arguments for 'list'. Expected 0 arguments but got 1.\n")).toBe("too many arguments for 'list': expected 0 arguments but got 1");
    expect(usageProblem("error: unknown command 'lst'\n(Did you mean list?)")).toBe("unknown command 'lst' (Did you mean list?)");
    expect(usageProblem('error: option \'-t, --timeout <duration>\' argument \'5M\' is invalid. --timeout: Invalid duration unit in "5M"'))
      .toBe('option \'-t, --timeout <duration>\' argument \'5M\' is invalid: --timeout: Invalid duration unit in "5M"');
  });
});

describe('the --wait progress line', () => {
  const figures = { state: 'RUNNING', done: 12, failed: 1, inFlight: 3, total: 100, elapsedMs: 83_000 };
  const barOf = (line: string) => /^\[([█░]*)\] /.exec(line)?.[1] ?? '';

  it.each([40, 60, 80, 120, 200])('fits %i columns and always shows done/total and the elapsed time', (columns) => {
    const line = progressLine(figures, columns);
    expect(line.length).toBeLessThan(columns);
    expect(line).toContain('12/100');
    expect(line).toContain('1m23s');
  });

  it('sizes the bar from the columns, within bounds, filled by done + failed', () => {
    expect(barOf(progressLine(figures, 80)).length).toBe(80 - 1 - 3 - 'RUNNING: 12/100 done, 1 failed, 3 in flight, 1m23s'.length);
    expect(barOf(progressLine(figures, 200)).length).toBe(MAX_BAR_WIDTH);
    expect(barOf(progressLine(figures, 50))).toBe('');
    const half = barOf(progressLine({ ...figures, done: 49, failed: 1 }, 200));
    expect(half).toBe(`${'█'.repeat(30)}${'░'.repeat(30)}`);
  });

  it('falls back to shorter texts on narrow terminals', () => {
    expect(progressLine(figures, 40)).toBe('RUNNING: 12/100 done, 1 failed, 1m23s');
    expect(progressLine(figures, 20)).toBe('12/100 done, 1m23s');
    expect(progressLine(figures, 10)).toBe('12/100 1m23s');
  });
});
