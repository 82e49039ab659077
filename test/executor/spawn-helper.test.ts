/**
 * The spawn helper against real processes: one per executor data dir, shared by the drivers of
 * that dir (an executor and its restarted self), the parent of every workload it forks (no
 * wrapper shell), recording their exits itself, and gone once it has no client and no child.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessDriver } from '../../src/executor/drivers/process/process-driver.ts';
import { readProcStat } from '../../src/executor/drivers/process/process-group.ts';
import { eventually, processSpec, spawnHelpersOf, survivors, tempDir } from './helpers/workload-fixtures.ts';

let root: string;
let cleanup: () => Promise<void>;
const never = new AbortController().signal;

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir('corral-spawn-helper-'));
});
afterAll(async () => {
  await cleanup();
});

const waitForGo = ['-c', 'while [ ! -f go ]; do sleep 0.02; done; exit 7'];

describe('spawn helper', () => {
  it('is one per data dir, shared by the drivers of that dir, and the parent of the command itself', async () => {
    const dirA = path.join(root, 'a');
    const dirB = path.join(root, 'b');
    const first = new ProcessDriver({ dataDir: dirA, exitLogDir: path.join(dirA, 'exits') });
    const again = new ProcessDriver({ dataDir: dirA, exitLogDir: path.join(dirA, 'exits') });
    const other = new ProcessDriver({ dataDir: dirB, exitLogDir: path.join(dirB, 'exits') });
    const drivers = [first, again, other];
    const handles = await Promise.all(drivers.map(async (driver) => driver.start(await processSpec(root, 'sleep', ['100']), never)));
    try {
      // Two drivers starting at once may each start a helper: the one that finds the other
      // serving says "running" and exits at once.
      await eventually(() => spawnHelpersOf(dirA).length === 1 && spawnHelpersOf(dirB).length === 1, { what: 'one helper per data dir' });
      const [helperA] = spawnHelpersOf(dirA);
      const [helperB] = spawnHelpersOf(dirB);
      expect(spawnHelpersOf(dirA)).toEqual([helperA]);
      expect(spawnHelpersOf(dirB)).toEqual([helperB]);
      expect(helperA).not.toBe(helperB);
      // No wrapper shell in between: the workload is `sleep`, forked by its dir's helper.
      const parents = await Promise.all(handles.map(async (h) => (await readProcStat(h.state.pid as number))?.ppid));
      expect(parents).toEqual([helperA, helperA, helperB]);
      expect((await readFile(`/proc/${handles[0].state.pid}/cmdline`, 'utf8')).split('\0')).toEqual([expect.stringMatching(/\/sleep$/), '100', '']);
      // Owner-only: the helper's directory and socket.
      expect((await stat(path.join(dirA, 'spawn-helper'))).mode & 0o777).toBe(0o700);
      expect((await stat(path.join(dirA, 'spawn-helper', 'spawn-helper.sock'))).mode & 0o777).toBe(0o600);
    } finally {
      await Promise.all(handles.map((h, i) => drivers[i].kill(h)));
      for (const driver of drivers) driver.close();
    }
    await eventually(() => spawnHelpersOf(dirA).length === 0 && spawnHelpersOf(dirB).length === 0, { what: 'both helpers to exit' });
  });

  it('records the exit of a child that ends after every client left, then exits', async () => {
    const dataDir = path.join(root, 'c');
    const driver = new ProcessDriver({ dataDir, exitLogDir: path.join(dataDir, 'exits') });
    const spec = await processSpec(root, '/bin/sh', waitForGo);
    const handle = await driver.start(spec, never);
    const helpers = spawnHelpersOf(dataDir);
    expect(helpers).toHaveLength(1);
    driver.close();
    // A child is left: the helper stays for it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await survivors(helpers)).toEqual(helpers);
    await writeFile(path.join(spec.workDir, 'go'), '');
    await eventually(async () => (await survivors(helpers)).length === 0, { what: 'the helper to exit after its last child' });
    expect(await readFile(String(handle.state.exitFile), 'utf8')).toBe(`${spec.instanceId} 7\n`);
    // What a restarted executor does with the handle: the helper's record.
    const restarted = new ProcessDriver({ recoverPollMs: 50, dataDir, exitLogDir: path.join(dataDir, 'exits') });
    try {
      expect(await restarted.wait((await restarted.recover(JSON.parse(JSON.stringify(handle))))!, never)).toEqual({ exitCode: 7 });
      expect(spawnHelpersOf(dataDir)).toEqual([]); // reading an exit starts no helper
    } finally {
      restarted.close();
    }
  });

  it('keeps recording into an exit log that a newer one replaced (rotation)', async () => {
    const dataDir = path.join(root, 'd');
    const options = { dataDir, exitLogDir: path.join(dataDir, 'exits') };
    // Each driver opens its own exit log: to the helper, the second one's starts are a rotation.
    const driver = new ProcessDriver(options);
    const newer = new ProcessDriver(options);
    try {
      const before = await processSpec(root, '/bin/sh', waitForGo);
      const old = await driver.start(before, never);
      const after = await newer.start(await processSpec(root, 'sh', ['-c', 'exit 3']), never);
      expect(after.state.exitFile).not.toBe(old.state.exitFile);
      expect(await newer.wait(after, never)).toEqual({ exitCode: 3 });
      await writeFile(path.join(before.workDir, 'go'), '');
      expect(await driver.wait(old, never)).toEqual({ exitCode: 7 });
      expect(await readFile(String(old.state.exitFile), 'utf8')).toBe(`${before.instanceId} 7\n`);
      expect(await readFile(String(after.state.exitFile), 'utf8')).toMatch(/ 3\n$/);
    } finally {
      driver.close();
      newer.close();
    }
  });
});
