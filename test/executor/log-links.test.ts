/**
 * Log files never follow a link out of the workload's log directory (docs/security.md, "Log
 * files"). The finding, reproduced end to end: a task that symlinks `output.db` to the
 * controller's database let a read-only user download the database through the log API. Here a
 * real task on a real executor plants that link (and a FIFO, which must not hang a read); then
 * the executor-side functions and the rotator are checked against links directly, including a
 * log directory that was itself swapped for a link.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadLogFile, listLogFiles, readLogFile } from '../../src/executor/logs/log-files.ts';
import { LogRotator } from '../../src/executor/logs/log-rotator.ts';
import { stopAllTestProcesses, trackTempDir } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';

afterAll(stopAllTestProcesses);

const OP_SPEC = { timeout: '30 seconds', parallelism: 1, failureStrategy: 'STOP' };
const GUEST = { user: 'guest', password: 'guest' };

describe('a task that plants links in its log directory', () => {
  let controller: TestController;
  const logs = '/apis/v1/logfiles/tasks/TEST_APP/planter';

  beforeAll(async () => {
    controller = await startTestController();
    await startTestExecutor(controller.url, { secret: controller.config.clusterSecret, cores: 2, killWorkloadsOnExit: true });
    const database = path.join(controller.dataDir, 'controller.db');
    const spec = {
      sourceAppName: 'TEST_APP', taskId: 'planter', executable: { type: 'PROCESS', command: '/bin/sh' },
      args: ['-c', `ln -s ${database} ../output.db && mkfifo ../output.fifo && ln -s /etc ../output.etc && echo planted`],
      resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 16 }],
    };
    expect((await controller.api().post('/apis/v1/tasks/operations', { type: 'CREATE', spec, opSpec: OP_SPEC })).status).toBe(200);
    const task = await waitFor(async () => {
      const data = (await controller.api().get('/apis/v1/tasks/TEST_APP/instances/planter')).body.data;
      return data?.state === 'STOPPED' ? data : undefined;
    }, { timeoutMs: 20_000, message: 'the planter task to end' });
    expect(task.taskResult).toEqual({ status: 'SUCCESSFUL', exitCode: 0 });
  });

  it('lists only regular files', async () => {
    const list = await controller.api(GUEST).get(`${logs}/list`);
    expect(list.status).toBe(200);
    expect(list.body.files).toContain('output.log');
    expect(list.body.files).not.toContain('output.db');
    expect(list.body.files).not.toContain('output.fifo');
    expect(list.body.files).not.toContain('output.etc');
  });

  it('refuses to download or read through the link (the controller database stays out of reach)', async () => {
    const download = await controller.api(GUEST).get(`${logs}/download/output.db`);
    expect(download.status).toBe(400);
    expect(download.body.error).toMatch(/output\.db is a symbolic link/);
    expect(download.text).not.toContain('SQLite format');
    const read = await controller.api(GUEST).get(`${logs}/read/output.db?offset=0&length=100`);
    expect(read.status).toBe(400);
    const tail = await controller.api(GUEST).get(`${logs}/read/output.db`);
    expect(tail.status).toBe(400);
  });

  it('answers at once for a FIFO or a directory link instead of hanging', async () => {
    for (const name of ['output.fifo', 'output.etc']) {
      const read = await controller.api(GUEST).get(`${logs}/read/${name}?offset=0&length=10`);
      expect(read.status, name).toBe(400);
      expect(read.body.error, name).toMatch(/not a regular file|symbolic link/);
    }
    const real = await controller.api(GUEST).get(`${logs}/read/output.log?offset=0&length=100`);
    expect(real.body.data).toContain('planted');
  });
});

describe('links on the executor side', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'corral-log-links-'));
  trackTempDir(root);
  const secret = path.join(root, 'secret.db');
  writeFileSync(secret, 'SQLite format 3\0precious');

  it('refuses a log directory that was swapped for a link out of the data dir', async () => {
    const base = path.join(root, 'workloads');
    const elsewhere = path.join(root, 'elsewhere');
    mkdirSync(base);
    mkdirSync(elsewhere);
    writeFileSync(path.join(elsewhere, 'output.log'), 'not this workload\'s');
    symlinkSync(elsewhere, path.join(base, 'TI-swapped'));
    const logDir = path.join(base, 'TI-swapped');
    await expect(readLogFile(logDir, 'output.log', 0, 100, base)).rejects.toThrow(/link out of the executor's data dir/);
    await expect(downloadLogFile(logDir, 'output.log', base)).rejects.toThrow(/link out of the executor's data dir/);
    expect(await listLogFiles(logDir, base)).toEqual({ files: [] });
  });

  it('the rotator neither copies nor truncates a file that output.log links to', async () => {
    const dir = path.join(root, 'rotating');
    mkdirSync(dir);
    const big = 'x'.repeat(4096);
    writeFileSync(secret, big);
    symlinkSync(secret, path.join(dir, 'output.log'));
    const rotator = new LogRotator({ intervalMs: 60_000 });
    rotator.register('TI-rot', path.join(dir, 'output.log'), { maxBytes: 1024, maxFiles: 3, compress: false });
    await rotator.checkAll();
    rotator.close();
    expect(readFileSync(secret, 'utf8')).toBe(big);
    expect(readdirSync(dir)).toEqual(['output.log']);
  });
});
