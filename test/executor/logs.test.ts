/** Log files: rotation by copytruncate (with a live O_APPEND writer), and list/read/download semantics (docs/api.md §5). */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile, appendFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/common/clock.ts';
import { compileLogPolicy, parseLogSize } from '../../src/executor/logs/log-policy.ts';
import { LogRotator, rotateFile, rotationStamp } from '../../src/executor/logs/log-rotator.ts';
import { downloadLogFile, listLogFiles, LogRequestError, readLogFile } from '../../src/executor/logs/log-files.ts';
import { eventually, tempDir } from './helpers/workload-fixtures.ts';

let root: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir: root, cleanup } = await tempDir('corral-logs-')));
afterAll(() => cleanup());

describe('log policy', () => {
  it('parses Docker-style sizes and applies the defaults', () => {
    expect(parseLogSize('10m')).toBe(10 * 1024 * 1024);
    expect(parseLogSize('1g')).toBe(1024 ** 3);
    expect(parseLogSize('512k')).toBe(512 * 1024);
    expect(parseLogSize('100')).toBe(100);
    expect(parseLogSize('ten')).toEqual({ error: expect.stringContaining('not a size') });
    expect(compileLogPolicy(undefined)).toEqual({ maxBytes: 10 * 1024 * 1024, maxFiles: 3, compress: true });
    expect(compileLogPolicy({ type: 'LOCAL', maxSize: '1k', maxFiles: 0, compress: false })).toEqual({ error: expect.stringContaining('maxFiles') });
  });
});

describe('log rotation', () => {
  it('copytruncates with compression, keeping maxFiles files including the live one', async () => {
    const dir = path.join(root, 'rotate');
    await mkdir(dir);
    const live = path.join(dir, 'output.log');
    const fd = openSync(live, 'a');
    const writer = spawn('/bin/sh', ['-c', 'i=0; while [ $i -lt 400 ]; do echo "line $i with some padding to grow the file"; i=$((i+1)); done'], { stdio: ['ignore', fd, 'ignore'] });
    closeSync(fd);
    await once(writer, 'exit');
    const policy = { maxBytes: 1024, maxFiles: 3, compress: true };
    const clock = new ManualClock(Date.UTC(2024, 6, 4, 12, 0, 0));
    const before = await readFile(live, 'utf8');
    const rotated = await rotateFile(live, policy, clock.now());
    expect(path.basename(rotated!)).toBe('output.log-2024-07-04-12-00-00.gz');
    expect(gunzipSync(await readFile(rotated!)).toString('utf8')).toBe(before);
    expect(await readFile(live, 'utf8')).toBe('');

    // Two more rotations: only maxFiles (3) files remain, the live one included.
    for (let i = 1; i <= 2; i++) {
      await appendFile(live, `batch ${i}\n`.repeat(200));
      clock.advance(1_000);
      await rotateFile(live, policy, clock.now());
    }
    const files = (await listLogFiles(dir)).files;
    expect(files).toEqual(['output.log', 'output.log-2024-07-04-12-00-01.gz', 'output.log-2024-07-04-12-00-02.gz']);
    expect(gunzipSync(await readFile(path.join(dir, files[2]))).toString()).toContain('batch 2');
  });

  it('rotates on its timer while a live O_APPEND writer keeps appending at the start of the truncated file', async () => {
    const dir = path.join(root, 'append');
    await mkdir(dir);
    const live = path.join(dir, 'output.log');
    const fd = openSync(live, 'a');
    const writer = spawn('/bin/sh', ['-c', 'head -c 5000 /dev/zero | tr "\\0" x; echo; while [ ! -f go ]; do sleep 0.02; done; echo fresh'], { cwd: dir, stdio: ['ignore', fd, 'ignore'] });
    closeSync(fd);
    // Listened for from the start: the writer may exit while `writeFile(go)` is still closing its fd.
    const writerExited = once(writer, 'exit');
    await eventually(async () => (await readFile(live)).length >= 5001);
    const rotator = new LogRotator({ intervalMs: 50 });
    rotator.register('w', live, { maxBytes: 1000, maxFiles: 2, compress: false });
    await eventually(async () => (await readdir(dir)).some((n) => n.startsWith('output.log-')), { what: 'a rotation by the timer' });
    await writeFile(path.join(dir, 'go'), '');
    await writerExited;
    rotator.close();
    expect(await readFile(live, 'utf8')).toBe('fresh\n');
    const rotated = (await readdir(dir)).find((n) => n.startsWith('output.log-'))!;
    expect(rotated).toMatch(/^output\.log-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}$/);
    expect((await readFile(path.join(dir, rotated))).length).toBe(5001);
  });

  it('formats stamps as yyyy-MM-dd-HH-mm-ss', () => {
    expect(rotationStamp(Date.UTC(2025, 0, 2, 3, 4, 5))).toBe('2025-01-02-03-04-05');
  });
});

describe('log requests', () => {
  let dir: string;
  beforeAll(async () => {
    dir = path.join(root, 'serve');
    await mkdir(path.join(dir, 'output.dir'), { recursive: true });
    await writeFile(path.join(dir, 'output.log'), 'héllo world\n');
    await writeFile(path.join(dir, 'output.log-2024-07-04-00-00-00.gz'), Buffer.from([0x1f, 0x8b, 0, 1]));
    await writeFile(path.join(dir, 'other.txt'), 'not a log');
  });

  it('lists only regular output.* files', async () => {
    expect(await listLogFiles(dir)).toEqual({ files: ['output.log', 'output.log-2024-07-04-00-00-00.gz'] });
    expect(await listLogFiles(path.join(dir, 'missing'))).toEqual({ files: [] });
  });

  it('reads with Drove offset semantics', async () => {
    const size = Buffer.byteLength('héllo world\n');
    expect(await readLogFile(dir, 'output.log', -1, -1)).toEqual({ data: '', offset: size });
    expect(await readLogFile(dir, 'output.log', -1, 5)).toEqual({ data: '', offset: size });
    expect(await readLogFile(dir, 'output.log', 0, -1)).toEqual({ data: 'héllo world\n', offset: 0 });
    expect(await readLogFile(dir, 'output.log', 7, 5)).toEqual({ data: 'world', offset: 7 });
    expect(await readLogFile(dir, 'output.log', size, -1)).toEqual({ data: '', offset: size });
    expect(await readLogFile(dir, 'output.log', 1000, 10)).toEqual({ data: '', offset: 1000 });
  });

  it('caps reads at 1 MiB', async () => {
    await writeFile(path.join(dir, 'output.big'), Buffer.alloc(2 * 1024 * 1024, 'a'));
    const read = await readLogFile(dir, 'output.big', 0, 5 * 1024 * 1024);
    expect(read.data.length).toBe(1024 * 1024);
  });

  it('downloads bytes as base64', async () => {
    expect(await downloadLogFile(dir, 'output.log-2024-07-04-00-00-00.gz')).toEqual({ base64: Buffer.from([0x1f, 0x8b, 0, 1]).toString('base64'), size: 4 });
  });

  it('reduces names to their last component and refuses traversal and bad input', async () => {
    expect(await readLogFile(dir, 'nested/output.log', 0, 5)).toEqual({ data: 'héll', offset: 0 });
    await expect(readLogFile(dir, '../../etc/passwd', 0, 10)).rejects.toThrow(/path traversal is not allowed/);
    await expect(downloadLogFile(dir, '..')).rejects.toBeInstanceOf(LogRequestError);
    await expect(readLogFile(dir, 'output.missing', 0, 10)).rejects.toThrow('no such log file: output.missing');
    await expect(readLogFile(dir, '.exit-code', 0, 10)).rejects.toThrow('no such log file: .exit-code'); // only output.* are logs
    await expect(readLogFile(dir, 'output.dir', 0, 10)).rejects.toThrow('not a regular file');
    await expect(readLogFile(dir, 'output.log', -2, 10)).rejects.toThrow('offset must be');
    await expect(readLogFile(dir, 'output.log', 0, 1.5)).rejects.toThrow('length must be');
  });
});
