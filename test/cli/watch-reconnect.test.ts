/**
 * `--wait` keeps following an operation across a controller restart: operations are persisted
 * and resumed, so the CLI re-finds the leader and carries on instead of failing. Real
 * controller (child process, restarted on the same port and database) and a real executor.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor } from '../helpers/test-executor.ts';
import { collect, runCli, startCli, tempDir, waitForOutput } from './helpers/run-cli.ts';

let controller: TestController;
const dir = tempDir();

beforeAll(async () => {
  controller = await startTestController({ mode: 'child' });
  await startTestExecutor(controller.url, { secret: controller.config.clusterSecret, cores: 2, memoryMb: 1024 });
}, 60_000);

afterAll(stopAllTestProcesses, 60_000);

it('follows an operation to COMPLETED across a controller restart', async () => {
  const spec = path.join(dir, 'slow.json');
  writeFileSync(spec, JSON.stringify({
    name: 'SLOW', version: '1', type: 'SERVICE',
    executable: { type: 'PROCESS', command: '/bin/sleep' }, args: ['3600'],
    exposedPorts: [{ name: 'main', port: 8000, type: 'HTTP' }],
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
    healthcheck: { mode: { type: 'CMD', command: 'true' }, timeout: '1s', interval: '1s', attempts: 3 },
    readiness: { mode: { type: 'CMD', command: 'true' }, timeout: '1s', interval: '1s', attempts: 3, initialDelay: '4 seconds' },
  }));
  const globals = ['-e', controller.url, '-u', 'admin', '-p', 'admin'];
  expect((await runCli([...globals, 'apps', 'create', spec, '--wait'])).code).toBe(0);

  const deploy = startCli([...globals, 'apps', 'deploy', 'SLOW-1', '1', '--wait']);
  const done = collect(deploy, { timeoutMs: 60_000 });
  try {
    await waitForOutput(deploy, /RUNNING: 0\/1 done, 0 failed, 1 in flight/, 20_000, 'stderr');
    controller = await controller.restart();
  } catch (error) {
    deploy.kill('SIGKILL');
    throw error;
  }
  const result = await done;
  expect(result.stderr).toMatch(/lost the controller \(cannot reach http:\/\/127\.0\.0\.1:\d+.*connection refused.*\); retrying for up to 1m/);
  expect(result.stderr).toMatch(/reconnected to the leader after \d/);
  expect(result.stdout).toMatch(/Operation OP-\S+ COMPLETED/);
  expect(result.code).toBe(0);
}, 90_000);
