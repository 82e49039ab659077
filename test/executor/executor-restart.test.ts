/**
 * `corral executor` as a real child process: SIGTERM leaves workloads running (shutdown scope)
 * and a new agent on the same data dir re-attaches and reports the true exit codes and logs;
 * `--kill-workloads-on-exit` stops every workload before exiting (kill scope). A SIGKILLed
 * executor leaves its spawn helper running, which records the exits meanwhile.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskReport } from '../../src/api/channel-protocol.ts';
import { FakeController } from './helpers/fake-controller.ts';
import { startTask, taskSpec } from './helpers/specs.ts';
import { readProcStat } from '../../src/executor/drivers/process/process-group.ts';
import { eventually, spawnHelpersOf, survivors, tempDir } from './helpers/workload-fixtures.ts';

const BIN = fileURLToPath(new URL('../../bin/corral.js', import.meta.url));
let controller: FakeController;
let dataDir: string;
let cleanup: () => Promise<void>;
const children: ChildProcess[] = [];

function runExecutor(extra: string[] = [], dir = dataDir, port = 3300): ChildProcess {
  const child = spawn(process.execPath, [
    BIN, 'executor', '--controller', controller.url, '--secret', controller.secret, '--data-dir', dir, '--port', String(port), ...extra,
  ], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CORRAL_LOG_LEVEL: 'warn' } });
  children.push(child);
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function pidOf(dir: string, id: string): Promise<number> {
  return Number(await eventually(() => readFile(path.join(dir, 'workloads', id, 'work', 'pid'), 'utf8').catch(() => '')));
}

beforeAll(async () => {
  ({ dir: dataDir, cleanup } = await tempDir('corral-restart-'));
  controller = await FakeController.start({ snapshotIntervalMs: 60_000 });
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await controller.close();
  await cleanup();
});

describe('executor restart', () => {
  it('re-attaches to running tasks after a restart and reports true exit codes and logs', async () => {
    const first = runExecutor();
    await controller.waitFor((m) => m.type === 'snapshot');
    const finishesOffline = startTask(controller, taskSpec('/bin/sh', ['-c', 'echo $$ > pid; echo before; while [ ! -f go ]; do sleep 0.02; done; echo after; exit 5']));
    const outlivesRestart = startTask(controller, taskSpec('/bin/sh', ['-c', 'echo $$ > pid; while [ ! -f go ]; do sleep 0.02; done; echo "done after restart"']));
    await controller.waitForTask(finishesOffline, (r) => r.state === 'RUNNING');
    await controller.waitForTask(outlivesRestart, (r) => r.state === 'RUNNING');
    const pids = [await pidOf(dataDir, finishesOffline), await pidOf(dataDir, outlivesRestart)];

    first.kill('SIGTERM');
    expect(await exited(first)).toBe(0);
    expect(await survivors(pids)).toEqual(pids); // shutdown scope: the work keeps running

    // One task ends while no executor is watching.
    await writeFile(path.join(dataDir, 'workloads', finishesOffline, 'work', 'go'), '');
    await eventually(async () => (await survivors([pids[0]])).length === 0, { what: 'the first task to exit' });

    const hellosBefore = controller.hellos.length;
    const mark = controller.messages.length;
    const second = runExecutor();
    await controller.waitFor((m) => m.type === 'hello' && controller.hellos.length > hellosBefore);
    const offline = await controller.waitForTask(finishesOffline, (r) => r.state === 'STOPPED');
    expect(offline.taskResult).toEqual({ status: 'FAILED', exitCode: 5 });
    expect(offline.events.map((e) => e.type)).toEqual(expect.arrayContaining(['Restored', 'Recovering', 'Recovered', 'Terminated']));
    const logs = await controller.request<{ data: string }>({ action: 'logs.read', target: { kind: 'task', instanceId: finishesOffline }, fileName: 'output.log', offset: 0, length: -1 });
    expect(logs.data!.data).toBe('before\nafter\n');

    const reportsSinceRestart = (): TaskReport[] => controller.messages.slice(mark).flatMap((m) =>
      m.type === 'taskUpdate' ? [m.task] : m.type === 'snapshot' ? m.tasks : []).filter((t) => t.instanceId === outlivesRestart);
    await eventually(() => reportsSinceRestart().some((r) => r.state === 'RUNNING'), { what: 'the second task re-attached' });
    await writeFile(path.join(dataDir, 'workloads', outlivesRestart, 'work', 'go'), '');
    const done = await controller.waitForTask(outlivesRestart, (r) => r.state === 'STOPPED');
    expect(done.taskResult).toEqual({ status: 'SUCCESSFUL', exitCode: 0 });
    expect(await readFile(path.join(dataDir, 'workloads', outlivesRestart, 'output.log'), 'utf8')).toBe('done after restart\n');

    second.kill('SIGTERM');
    expect(await exited(second)).toBe(0);
  });

  it('a SIGKILLed executor leaves its spawn helper recording exits: the restarted one reports the true exit code', async () => {
    const { dir, cleanup: cleanDir } = await tempDir('corral-restart-sigkill-');
    try {
      let hellosBefore = controller.hellos.length;
      const first = runExecutor([], dir, 3304);
      await controller.waitFor((m) => m.type === 'hello' && controller.hellos.length > hellosBefore);
      const id = startTask(controller, taskSpec('/bin/sh', ['-c', 'echo $$ > pid; while [ ! -f go ]; do sleep 0.02; done; exit 7']));
      await controller.waitForTask(id, (r) => r.state === 'RUNNING');
      const pid = await pidOf(dir, id);
      const helpers = spawnHelpersOf(dir);
      expect(helpers).toHaveLength(1);
      // The task's own process, forked by the helper: no wrapper shell to write the status.
      expect((await readProcStat(pid))?.ppid).toBe(helpers[0]);

      first.kill('SIGKILL');
      await exited(first);
      expect(await survivors([pid, ...helpers])).toEqual([pid, ...helpers]);
      // The task ends while no executor runs; the helper records it, then has nothing left to do.
      await writeFile(path.join(dir, 'workloads', id, 'work', 'go'), '');
      await eventually(async () => (await survivors([pid, ...helpers])).length === 0, { what: 'the task, then its helper, to exit', timeoutMs: 15_000 });

      hellosBefore = controller.hellos.length;
      const second = runExecutor([], dir, 3304);
      await controller.waitFor((m) => m.type === 'hello' && controller.hellos.length > hellosBefore);
      const final = await controller.waitForTask(id, (r) => r.state === 'STOPPED');
      expect(final.taskResult).toEqual({ status: 'FAILED', exitCode: 7 });
      second.kill('SIGTERM');
      expect(await exited(second)).toBe(0);
      await eventually(() => spawnHelpersOf(dir).length === 0, { what: 'no helper left' });
    } finally {
      await cleanDir();
    }
  });

  it('--kill-workloads-on-exit stops every workload and reports it before exiting', async () => {
    const { dir, cleanup: cleanDir } = await tempDir('corral-restart-kill-');
    try {
      const hellosBefore = controller.hellos.length;
      const child = runExecutor(['--kill-workloads-on-exit'], dir, 3301);
      await controller.waitFor((m) => m.type === 'hello' && controller.hellos.length > hellosBefore);
      const id = startTask(controller, taskSpec('/bin/sh', ['-c', 'echo $$ > pid; sleep 100 & wait']));
      await controller.waitForTask(id, (r) => r.state === 'RUNNING');
      const pid = await pidOf(dir, id);
      child.kill('SIGTERM');
      const final = await controller.waitForTask(id, (r) => r.state === 'STOPPED');
      expect(final.taskResult).toEqual({ status: 'CANCELLED', exitCode: -1 });
      expect(await exited(child)).toBe(0);
      expect(await survivors([pid])).toEqual([]);
    } finally {
      await cleanDir();
    }
  });

  it('refuses a second agent on the same data dir', async () => {
    const { dir, cleanup: cleanDir } = await tempDir('corral-restart-lock-');
    try {
      const hellosBefore = controller.hellos.length;
      const owner = runExecutor([], dir, 3302);
      await controller.waitFor((m) => m.type === 'hello' && controller.hellos.length > hellosBefore);
      const intruder = runExecutor([], dir, 3303);
      let stderr = '';
      intruder.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      expect(await exited(intruder)).toBe(1);
      expect(stderr).toMatch(/is in use by another executor \(pid \d+\)/);
      owner.kill('SIGTERM');
      expect(await exited(owner)).toBe(0);
    } finally {
      await cleanDir();
    }
  });
});
