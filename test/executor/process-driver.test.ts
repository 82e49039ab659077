/** The process driver against real processes: exit codes, unstartable commands, process trees, recovery. */
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessDriver } from '../../src/executor/drivers/process/process-driver.ts';
import { ProcessGroupWatcher, signalGroup } from '../../src/executor/drivers/process/process-group.ts';
import { eventually, processSpec, spawnHelpersOf, survivors, tempDir } from './helpers/workload-fixtures.ts';

let root: string;
let cleanup: () => Promise<void>;
const never = new AbortController().signal;

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir());
});
afterAll(async () => {
  await cleanup();
});

/** Live pids of the group once it has at least `count` of them. */
async function groupMembers(pgid: number, count: number): Promise<number[]> {
  const watcher = new ProcessGroupWatcher();
  return eventually(async () => {
    const members = await watcher.members(pgid);
    return members.length >= count ? members : undefined;
  }, { what: `${count} processes in group ${pgid}` });
}

// The agent's mode (shared exit log, through the helper), plus each alternative once.
describe.each([
  { spawnVia: 'helper', exits: 'shared' },
  { spawnVia: 'direct', exits: 'shared' },
  { spawnVia: 'helper', exits: 'own' },
] as const)('process driver (spawn via $spawnVia, $exits exit status)', ({ spawnVia, exits }) => {
  let driver: ProcessDriver;
  let exitLogDir: string | undefined;
  beforeAll(() => {
    exitLogDir = exits === 'shared' ? path.join(root, `exits-${spawnVia}`) : undefined;
    driver = new ProcessDriver({ leftoverGraceMs: 300, recoverPollMs: 50, spawnVia, exitLogDir });
  });
  afterAll(() => driver.close());

  it('runs a command to completion, with args, env, cwd and output in output.log', async () => {
    const spec = await processSpec(root, '/bin/sh', ['-c', 'echo "hello $GREETING from $(pwd)"; echo oops >&2'], { GREETING: 'corral' });
    const handle = await driver.start(spec, never);
    expect(handle.state.pid).toBeGreaterThan(0);
    expect(handle.state.startTime).toBeGreaterThan(0);
    const exit = await driver.wait(handle, never);
    expect(exit).toEqual({ exitCode: 0 });
    const log = await readFile(path.join(spec.logDir, 'output.log'), 'utf8');
    expect(log).toBe(`hello corral from ${spec.workDir}\noops\n`);
    await driver.destroy(handle);
  });

  it('never misses the exit of a command that ends at once', async () => {
    const specs = await Promise.all(Array.from({ length: 40 }, () => processSpec(root, '/bin/true')));
    const handles = await Promise.all(specs.map((spec) => driver.start(spec, never)));
    const exits = await Promise.all(handles.map((h) => driver.wait(h, AbortSignal.timeout(15_000))));
    expect(exits.every((e) => e.exitCode === 0)).toBe(true);
  });

  it('reports a non-zero exit code', async () => {
    const spec = await processSpec(root, 'sh', ['-c', 'exit 3']);
    const handle = await driver.start(spec, never);
    expect(await driver.wait(handle, never)).toEqual({ exitCode: 3 });
  });

  it('refuses a missing command before spawning, with a readable reason', async () => {
    const spec = await processSpec(root, '/x/y');
    await expect(driver.start(spec, never)).rejects.toThrow('Command /x/y not found');
    const bare = await processSpec(root, 'no-such-binary-corral');
    await expect(driver.start(bare, never)).rejects.toThrow(/Command no-such-binary-corral not found on PATH/);
  });

  it('refuses a file that is not executable', async () => {
    const spec = await processSpec(root, './script.sh');
    await writeFile(path.join(spec.workDir, 'script.sh'), '#!/bin/sh\necho hi\n');
    await chmod(path.join(spec.workDir, 'script.sh'), 0o644);
    await expect(driver.start(spec, never)).rejects.toThrow('Command ./script.sh is not executable: permission denied');
  });

  it('kills a whole tree of children and grandchildren, leaving no survivor', async () => {
    const spec = await processSpec(root, '/bin/sh', ['-c', 'sh -c "sleep 100 & sleep 100 & wait" & sleep 100 & sleep 100 & wait']);
    const handle = await driver.start(spec, never);
    const pgid = handle.state.pgid as number;
    // outer sh, inner sh, 4 sleeps
    const members = await groupMembers(pgid, 6);
    const waiting = driver.wait(handle, never);
    await driver.kill(handle);
    expect(await survivors(members)).toEqual([]);
    const exit = await waiting;
    expect(exit.exitCode).toBe(137);
    expect(exit.signal).toBe('SIGKILL');
  });

  it('stops gracefully with SIGTERM, and escalates to SIGKILL after the timeout', async () => {
    const polite = await processSpec(root, 'sleep', ['100']);
    const h1 = await driver.start(polite, never);
    const started = Date.now();
    await driver.stop(h1, 5_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await driver.wait(h1, never)).signal).toBe('SIGTERM');

    const stubborn = await processSpec(root, '/bin/sh', ['-c', 'trap "" TERM; sleep 100 & sleep 100 & wait']);
    const h2 = await driver.start(stubborn, never);
    const members = await groupMembers(h2.state.pgid as number, 3);
    const t0 = Date.now();
    await driver.stop(h2, 300);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(await survivors(members)).toEqual([]);
  });

  it('kills what the main process left behind before wait resolves', async () => {
    const spec = await processSpec(root, '/bin/sh', ['-c', 'sleep 100 & echo $! > leftover.pid; exit 0']);
    const handle = await driver.start(spec, never);
    const exit = await driver.wait(handle, never);
    expect(exit).toEqual({ exitCode: 0 });
    const leftover = Number(await readFile(path.join(spec.workDir, 'leftover.pid'), 'utf8'));
    expect(await survivors([leftover])).toEqual([]);
  });

  it('a second driver instance recovers a running process and learns its true exit code', async () => {
    const spec = await processSpec(root, '/bin/sh', ['-c', 'touch started; while [ ! -f go ]; do sleep 0.05; done; echo finished; exit 7']);
    const handle = await driver.start(spec, never);
    await eventually(() => readFile(path.join(spec.workDir, 'started')).then(() => true, () => false));
    const restarted = new ProcessDriver({ recoverPollMs: 50, exitLogDir });
    try {
      const recovered = await restarted.recover(JSON.parse(JSON.stringify(handle)));
      expect(recovered).toBeDefined();
      await writeFile(path.join(spec.workDir, 'go'), '');
      expect(await restarted.wait(recovered!, never)).toEqual({ exitCode: 7 });
      expect(await readFile(path.join(spec.logDir, 'output.log'), 'utf8')).toBe('finished\n');
    } finally {
      restarted.close();
    }
  });

  it('a process killed behind the driver\'s back: the helper still records how it ended; without one, -1 with an honest error', async () => {
    const spec = await processSpec(root, 'sleep', ['100']);
    const handle = await driver.start(spec, never);
    const restarted = new ProcessDriver({ recoverPollMs: 50, exitLogDir });
    try {
      const recovered = await restarted.recover(handle);
      signalGroup(handle.state.pgid as number, 'SIGKILL');
      const exit = await restarted.wait(recovered!, never);
      if (spawnVia === 'helper') {
        // The helper is the process's parent and outlives drivers: it saw the SIGKILL.
        expect(exit).toEqual({ exitCode: 137 });
      } else {
        // The wrapper shell died with its group: nobody was left to write the status.
        expect(exit.exitCode).toBe(-1);
        expect(exit.error).toMatch(/left no exit status/);
      }
    } finally {
      restarted.close();
    }
  });

  it('keeps the exit status where a restarted executor finds it, out of the command\'s reach', async () => {
    const spec = await processSpec(root, '/bin/sh', ['-c', 'echo forged >&3 || echo "no fd 3"; exit 9']);
    const handle = await driver.start(spec, never);
    expect(await driver.wait(handle, never)).toEqual({ exitCode: 9 });
    expect(await readFile(path.join(spec.logDir, 'output.log'), 'utf8')).toMatch(/no fd 3\n$/);
    const state = handle.state;
    if (exits === 'shared') {
      expect(path.dirname(String(state.exitFile))).toBe(exitLogDir);
      expect(state.exitKey).toBe(spec.instanceId);
      expect(await readFile(String(state.exitFile), 'utf8')).toContain(`${spec.instanceId} 9\n`);
      expect(await readdir(spec.logDir)).toEqual(['output.log', 'work']); // no inode per task beyond these
    } else {
      expect(state.exitFile).toBe(path.join(spec.logDir, '.exit-code'));
      expect(await readFile(String(state.exitFile), 'utf8')).toBe('9\n');
    }
    // what a restarted executor does: reads it back from the handle
    const restarted = new ProcessDriver({ recoverPollMs: 50, exitLogDir });
    try {
      expect(await restarted.wait((await restarted.recover(JSON.parse(JSON.stringify(handle))))!, never)).toEqual({ exitCode: 9 });
    } finally {
      restarted.close();
    }
  });

  it('wait gives up on abort (shutdown scope) without touching the process', async () => {
    const spec = await processSpec(root, 'sleep', ['100']);
    const handle = await driver.start(spec, never);
    const shutdown = new AbortController();
    const waiting = driver.wait(handle, shutdown.signal);
    shutdown.abort();
    await expect(waiting).rejects.toThrow();
    expect(await survivors([handle.state.pid as number])).toEqual([handle.state.pid]);
    await driver.kill(handle);
  });

  it('exec runs a command in the workload directory with its environment and a timeout', async () => {
    const spec = await processSpec(root, 'sleep', ['100']);
    const handle = await driver.start(spec, never);
    try {
      const ok = await driver.exec(handle, ['sh', '-c', 'echo "$FOO in $(pwd)"; exit 2'], 5_000, { FOO: 'bar' });
      expect(ok).toEqual({ exitCode: 2, output: `bar in ${spec.workDir}\n` });
      // A spec timeout past setTimeout's 24.8-day limit waits for the command (it used to kill it after 1 ms).
      expect(await driver.exec(handle, ['sh', '-c', 'sleep 0.2; echo done'], 30 * 24 * 3600 * 1000)).toEqual({ exitCode: 0, output: 'done\n' });
      const slow = await driver.exec(handle, ['sleep', '10'], 200);
      expect(slow.exitCode).toBe(-1);
      expect(slow.output).toMatch(/timed out after 200 ms/);
      const missing = await driver.exec(handle, ['/no/such/check'], 1_000);
      expect(missing.exitCode).toBe(127);
    } finally {
      await driver.kill(handle);
    }
  });
});

describe('spawn helper failure', () => {
  it('workloads outlive a dead helper, whose exits are then honestly unknown; the next start gets a new helper', async () => {
    const dataDir = path.join(root, 'helper-failure');
    const driver = new ProcessDriver({ recoverPollMs: 50, dataDir });
    try {
      const spec = await processSpec(root, '/bin/sh', ['-c', 'while [ ! -f go ]; do sleep 0.02; done; exit 4']);
      const handle = await driver.start(spec, never);
      const helpers = spawnHelpersOf(dataDir);
      expect(helpers).toHaveLength(1);
      process.kill(helpers[0], 'SIGKILL');
      await eventually(async () => (await survivors(helpers)).length === 0);
      expect(await survivors([handle.state.pid as number])).toHaveLength(1);
      const waiting = driver.wait(handle, never);
      await writeFile(path.join(spec.workDir, 'go'), '');
      // The trade-off of dropping the exit wrapper: the helper was the one to record it.
      const lost = await waiting;
      expect(lost.exitCode).toBe(-1);
      expect(lost.error).toMatch(/left no exit status/);
      const next = await driver.start(await processSpec(root, 'sh', ['-c', 'exit 6']), never);
      expect(await driver.wait(next, never)).toEqual({ exitCode: 6 });
      expect(spawnHelpersOf(dataDir)).toHaveLength(1);
      expect(spawnHelpersOf(dataDir)).not.toEqual(helpers);
    } finally {
      driver.close();
    }
  });
});
