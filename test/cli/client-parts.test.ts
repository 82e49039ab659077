import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SseParser, formatEvent } from '../../src/cli/client/cluster-events.ts';
import { unwrapEnvelope, queryString } from '../../src/cli/client/http-client.ts';
import { lastLines } from '../../src/cli/client/log-files.ts';
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

describe('envelope handling (API.md §1.4)', () => {
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

  it('repeats multi-valued query parameters (API.md §1.2)', () => {
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
