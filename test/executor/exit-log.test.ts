/** Exit statuses in shared exit logs and per-workload exit files (the process driver's durable exits). */
import { appendFile, mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitLog, readExitStatus } from '../../src/executor/drivers/process/exit-log.ts';
import { tempDir } from './helpers/workload-fixtures.ts';

let root: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir('corral-exits-'));
});
afterAll(async () => {
  await cleanup();
});

describe('readExitStatus', () => {
  it("finds a workload's line in a shared log, and only a complete one", async () => {
    const file = path.join(root, 'shared.log');
    await writeFile(file, 'TI-a 0\nTI-ab 3\nTI-b 137\nTI-c 1');
    expect(await readExitStatus({ file, key: 'TI-a' })).toBe(0);
    expect(await readExitStatus({ file, key: 'TI-ab' })).toBe(3);
    expect(await readExitStatus({ file, key: 'TI-b' })).toBe(137);
    expect(await readExitStatus({ file, key: 'TI-c' })).toBeUndefined(); // still being written
    expect(await readExitStatus({ file, key: 'TI-x' })).toBeUndefined();
    expect(await readExitStatus({ file: path.join(root, 'missing.log'), key: 'TI-a' })).toBeUndefined();
  });

  it('reads a per-workload exit file', async () => {
    const file = path.join(root, '.exit-code');
    await writeFile(file, '5');
    expect(await readExitStatus({ file })).toBeUndefined();
    await appendFile(file, '\n');
    expect(await readExitStatus({ file })).toBe(5);
    await writeFile(file, '\n');
    expect(await readExitStatus({ file })).toBeUndefined();
  });
});

describe('ExitLog', () => {
  it('hands out one log per executor start and removes old ones nobody needs', async () => {
    const dir = path.join(root, 'exits');
    const previous = new ExitLog(dir);
    const old = previous.next();
    const referencedOld = new ExitLog(dir).next();
    await writeFile(old, 'TI-1 0\n');
    await writeFile(referencedOld, 'TI-2 0\n');
    const log = new ExitLog(dir);
    const current = log.next();
    expect(log.next()).toBe(current);
    expect(new Set([old, referencedOld, current]).size).toBe(3);
    await writeFile(current, '');
    expect(await log.files()).toEqual([current, referencedOld, old]); // newest first

    const now = Date.now();
    expect(await log.clean(new Set(), 60_000, now)).toBe(0); // all recent
    const longAgo = new Date(now - 120_000);
    for (const file of [old, referencedOld, current]) await utimes(file, longAgo, longAgo);
    expect(await log.clean(new Set([referencedOld]), 60_000, now)).toBe(1);
    expect(await log.files()).toEqual([current, referencedOld]);
  });

  it('ignores files that are not exit logs', async () => {
    const dir = path.join(root, 'mixed');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'notes.txt'), '');
    expect(await new ExitLog(dir).files()).toEqual([]);
  });
});
