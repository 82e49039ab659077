/** The mock driver through the agent (`--driver mock`): configured run time, exit code, failure injection, simulated checks, recovery. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/common/clock.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { startExecutor, type ExecutorAgent } from '../../src/executor/agent/executor-agent.ts';
import { MockDriver } from '../../src/executor/drivers/mock/mock-driver.ts';
import { FakeController } from './helpers/fake-controller.ts';
import { appSpec, startInstance, startTask, taskSpec } from './helpers/specs.ts';
import { processSpec, tempDir } from './helpers/workload-fixtures.ts';

let controller: FakeController;
let agent: ExecutorAgent;
let cleanup: () => Promise<void>;
let dataDir: string;

beforeAll(async () => {
  ({ dir: dataDir, cleanup } = await tempDir('corral-mock-'));
  controller = await FakeController.start();
  agent = await startExecutor({ controllers: controller.url, secret: controller.secret, dataDir, port: 3500, driver: 'mock', logger: silentLogger });
  await controller.waitFor((m) => m.type === 'snapshot');
});

afterAll(async () => {
  await agent.stop({ killWorkloads: true });
  await controller.close();
  await cleanup();
});

describe('mock driver via the agent', () => {
  it('advertises every executable type', () => {
    expect(controller.hellos[0].executor.drivers).toEqual(['DOCKER', 'PROCESS']);
  });

  it('runs a task for MOCK_RUN_MS and exits with MOCK_EXIT_CODE, writing a log line', async () => {
    const id = startTask(controller, taskSpec('/does/not/matter', [], { env: { MOCK_RUN_MS: '50', MOCK_EXIT_CODE: '4' } }));
    const final = await controller.waitForTask(id, (r) => r.state === 'STOPPED');
    expect(final.taskResult).toEqual({ status: 'FAILED', exitCode: 4 });
    expect(controller.statesOf(id)).toEqual(['PENDING', 'PROVISIONING', 'STARTING', 'RUNNING', 'RUN_COMPLETED', 'DEPROVISIONING', 'STOPPED']);
    const log = await controller.request<{ data: string }>({ action: 'logs.read', target: { kind: 'task', instanceId: id }, fileName: 'output.log', offset: 0, length: -1 });
    expect(log.data!.data).toContain('[mock] task');
  });

  it('runs DOCKER specs too', async () => {
    const spec = taskSpec('x', []);
    spec.executable = { type: 'DOCKER', url: 'registry.local/anything:1', dockerPullTimeout: { count: 1, unit: 'minutes' } };
    const id = startTask(controller, spec);
    expect((await controller.waitForTask(id, (r) => r.state === 'STOPPED')).taskResult).toEqual({ status: 'SUCCESSFUL', exitCode: 0 });
  });

  it('injects failures at prepare and start', async () => {
    const prepare = startTask(controller, taskSpec('x', [], { env: { MOCK_FAIL: 'prepare' } }));
    const start = startTask(controller, taskSpec('x', [], { env: { MOCK_FAIL: 'start' } }));
    const p = await controller.waitForTask(prepare, (r) => r.state === 'STOPPED');
    const s = await controller.waitForTask(start, (r) => r.state === 'STOPPED');
    expect(p.errorMessage).toBe('mock failure injected at prepare (MOCK_FAIL=prepare)');
    expect(controller.statesOf(prepare)).toEqual(['PENDING', 'PROVISIONING', 'PROVISIONING_FAILED', 'DEPROVISIONING', 'STOPPED']);
    expect(s.errorMessage).toBe('mock failure injected at start (MOCK_FAIL=start)');
    expect(controller.statesOf(start)).toContain('RUN_FAILED');
  });

  it('runs instances until stopped, with checks answered by the simulation', async () => {
    const id = startInstance(controller, appSpec('x', []));
    await controller.waitForInstance(id, (r) => r.state === 'HEALTHY');
    controller.send({ type: 'stopInstance', instanceId: id, mode: 'GRACEFUL', reason: 'done' });
    await controller.waitForInstance(id, (r) => r.state === 'STOPPED');
    expect(controller.statesOf(id)).toEqual(['PENDING', 'PROVISIONING', 'STARTING', 'UNREADY', 'READY', 'HEALTHY', 'STOPPING', 'DEPROVISIONING', 'STOPPED']);
  });

  it('fails checks when MOCK_CHECK_EXIT_CODE says so', async () => {
    const spec = appSpec('x', [], { env: { MOCK_CHECK_EXIT_CODE: '1' } });
    spec.readiness = { ...spec.readiness, attempts: 2, interval: { count: 10, unit: 'milliseconds' } };
    const id = startInstance(controller, spec);
    const final = await controller.waitForInstance(id, (r) => r.state === 'STOPPED');
    expect(controller.statesOf(id)).toContain('READINESS_CHECK_FAILED');
    expect(final.errorMessage).toMatch(/mock check exit 1/);
  });
});

describe('mock driver recovery', () => {
  it('recovers a handle in a new driver instance: exits when due, by the clock', async () => {
    const { dir, cleanup: clean } = await tempDir('corral-mock-recover-');
    try {
      const clock = new ManualClock(1_000_000);
      const first = new MockDriver({ clock, writeLogs: false });
      const spec = await processSpec(dir, 'x', [], { MOCK_RUN_MS: '60000', MOCK_EXIT_CODE: '6' });
      const handle = await first.start(spec);
      clock.advance(60_000);
      const second = new MockDriver({ clock, writeLogs: false });
      const recovered = await second.recover(JSON.parse(JSON.stringify(handle)));
      expect(await second.wait(recovered!, new AbortController().signal)).toEqual({ exitCode: 6 });
      const instance = await first.start({ ...spec, kind: 'instance', env: {} });
      const waiting = first.wait(instance, new AbortController().signal);
      await first.stop(instance);
      expect(await waiting).toEqual({ exitCode: 143, signal: 'SIGTERM' });
    } finally {
      await clean();
    }
  });
});

describe('ephemeral simulation', () => {
  it('runs mock workloads with virtual ports and writes nothing under the data dir', async () => {
    const { dir, cleanup: clean } = await tempDir('corral-mock-ephemeral-');
    const own = await FakeController.start();
    const sim = await startExecutor({ controllers: own.url, secret: own.secret, dataDir: dir, port: 3501, driver: 'mock', ephemeral: true, logger: silentLogger });
    try {
      await own.waitFor((m) => m.type === 'snapshot');
      const ids = Array.from({ length: 20 }, () => startInstance(own, appSpec('x', [])));
      const reports = await Promise.all(ids.map((id) => own.waitForInstance(id, (r) => r.state === 'HEALTHY')));
      const ports = reports.map((r) => r.localInfo!.ports.http.hostPort);
      expect(new Set(ports).size).toBe(20);
      expect(ports.every((p) => p >= 30_000 && p <= 60_999)).toBe(true);
      const task = startTask(own, taskSpec('x', [], { env: { MOCK_EXIT_CODE: '0' } }));
      await own.waitForTask(task, (r) => r.state === 'STOPPED');
      expect(existsSync(path.join(dir, 'workloads'))).toBe(false);
    } finally {
      await sim.stop({ killWorkloads: true });
      await own.close();
      await clean();
    }
  });
});
