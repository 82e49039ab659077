import { describe, expect, it } from 'vitest';
import { contentTypeFor, downloadName, lastPathComponent } from '../../src/controller/logs/log-files.ts';

describe('log file names (docs/api.md §5)', () => {
  it('keeps only the last path component', () => {
    expect(lastPathComponent('output.log')).toBe('output.log');
    expect(lastPathComponent('../../etc/passwd')).toBe('passwd');
    expect(lastPathComponent('..\\..\\x.log')).toBe('x.log');
  });
  it('guesses the content type from the extension, text/plain otherwise', () => {
    expect(contentTypeFor('output.log')).toBe('text/plain');
    expect(contentTypeFor('output.log-2024-07-04-10-00-00.gz')).toBe('application/gzip');
    expect(contentTypeFor('output.log-2024-07-04-10-00-00')).toBe('text/plain');
    expect(contentTypeFor('data.json')).toBe('application/json');
  });
  it('names renamed downloads {owner}_{file}-{yyyy-MM-dd_HH-mm-ss}', () => {
    expect(downloadName('orders_rollup-42', 'output.log', Date.UTC(2024, 6, 4, 9, 5, 3))).toBe('orders_rollup-42_output.log-2024-07-04_09-05-03');
  });
});
