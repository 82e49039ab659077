/**
 * Regression: an executor killed between starting a process and saving its handle must not
 * leave an orphan nobody knows about. The crash is simulated in-process, because the real gap
 * is a millisecond wide and cannot be hit on demand: the first runner's driver really starts
 * the process and then never hands the handle back (the runner stalls exactly where a SIGKILL
 * would have stopped it, and nothing further is saved). A real agent then starts on the same
 * data dir, as after the restart, and must find the process and report its true result.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/common/clock.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { startExecutor, type ExecutorAgent } from '../../src/executor/agent/executor-agent.ts';
import type { Driver, DriverHandle, WorkloadStartSpec } from '../../src/executor/drivers/driver.ts';
import { ProcessDriver } from '../../src/executor/drivers/process/process-driver.ts';
import { LogRotator } from '../../src/executor/logs/log-rotator.ts';
import { createHookCatalog } from '../../src/executor/runner/hook-catalog.ts';
import { PortAllocator } from '../../src/executor/runner/port-allocator.ts';
import { newWorkloadRecord } from '../../src/executor/state/workload-record.ts';
import { WorkloadRunner } from '../../src/executor/runner/workload-runner.ts';
import { WorkloadStore } from '../../src/executor/state/workload-store.ts';
import { FakeController } from './helpers/fake-controller.ts';
import { taskSpec } from './helpers/specs.ts';
import { eventually, survivors, tempDir } from './helpers/workload-fixtures.ts';

let dataDir: string;
let cleanup: () => Promise<void>;
let controller: FakeController;
const crashedDrivers: ProcessDriver[] = [];
const agents: ExecutorAgent[] = [];

/** Starts for real, then "dies": the handle never reaches the runner. */
function dyingAfterStart(real: ProcessDriver, started: (handle: DriverHandle) => void): Driver {
  return new Proxy(real, {
    get(target, property, receiver) {
      if (property === 'start') {
        return async (spec: WorkloadStartSpec, signal: AbortSignal) => {
          started(await target.start(spec, signal));
          return new Promise<DriverHandle>(() => undefined);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Runs a task until its process has started, then abandons it as a SIGKILLed executor would.
 * `shared`: exit status in the executor's exit log (the agent's mode); else in its own file.
 */
async function startAndCrash(instanceId: string, command: string[], exits: 'shared' | 'own' = 'shared'): Promise<number> {
  const real = new ProcessDriver(exits === 'shared' ? { exitLogDir: path.join(dataDir, 'exits') } : {});
  crashedDrivers.push(real);
  let handle: DriverHandle | undefined;
  const store = new WorkloadStore(dataDir, silentLogger, { lazyMs: 3_600_000, laterMs: 3_600_000 });
  const record = newWorkloadRecord({
    kind: 'task', instanceId, spec: taskSpec(command[0], command.slice(1)), allocation: { numaNode: '0', cores: [0], memoryMB: 64 },
    killTimeoutMs: 1_000, now: Date.now(),
  });
  const runner = new WorkloadRunner(record, {
    driver: dyingAfterStart(real, (h) => (handle = h)), store, clock: systemClock, logger: silentLogger,
    executor: { executorId: 'crash-test', hostname: 'crash-host' },
    hooks: createHookCatalog({ rotator: new LogRotator(), ports: new PortAllocator() }).task,
    onChange: () => undefined,
  });
  runner.run().catch(() => undefined); // its crash is what this test looks at, through the store
  await eventually(() => handle, { what: 'the process to be started' });
  expect(record.state).toBe('STARTING'); // what is on disk: the intent, no handle
  return Number(handle!.state.pid);
}

async function restartAgent(): Promise<ExecutorAgent> {
  const agent = await startExecutor({ controllers: controller.url, secret: controller.secret, dataDir, port: 3611, logger: silentLogger });
  agents.push(agent);
  return agent;
}

beforeAll(async () => {
  ({ dir: dataDir, cleanup } = await tempDir('corral-adopt-'));
  controller = await FakeController.start();
});

afterAll(async () => {
  for (const agent of agents) await agent.stop({ killWorkloads: true });
  for (const driver of crashedDrivers) driver.close();
  await controller.close();
  await cleanup();
});

describe('an executor killed between the start and saving the handle', () => {
  it('finds the running process after the restart and reports its true exit code', async () => {
    const stillRunning = 'TI-adopt-running';
    const exitedMeanwhile = 'TI-adopt-exited';
    const olderVersion = 'TI-adopt-own-exit-file';
    const pid = await startAndCrash(stillRunning, ['/bin/sh', '-c', 'while [ ! -f go ]; do sleep 0.02; done; exit 7']);
    const gonePids = [
      await startAndCrash(exitedMeanwhile, ['/bin/sh', '-c', 'exit 3']),
      await startAndCrash(olderVersion, ['/bin/sh', '-c', 'exit 4'], 'own'),
    ];
    await eventually(async () => (await survivors(gonePids)).length === 0, { what: 'the short tasks to end while no executor watches' });
    expect(await survivors([pid])).toEqual([pid]);

    const agent = await restartAgent();
    const running = await controller.waitForTask(stillRunning, (r) => r.state === 'RUNNING');
    expect(running.events.map((e) => e.type)).toEqual(expect.arrayContaining(['Restored', 'Recovered']));
    await writeFile(path.join(dataDir, 'workloads', stillRunning, 'work', 'go'), '');
    const done = await controller.waitForTask(stillRunning, (r) => r.state === 'STOPPED');
    expect(done.taskResult).toEqual({ status: 'FAILED', exitCode: 7 });
    expect(await survivors([pid])).toEqual([]);

    const ended = await controller.waitForTask(exitedMeanwhile, (r) => r.state === 'STOPPED');
    expect(ended.taskResult).toEqual({ status: 'FAILED', exitCode: 3 });
    expect(ended.events.map((e) => e.type)).toEqual(expect.arrayContaining(['Recovered', 'Terminated']));
    const own = await controller.waitForTask(olderVersion, (r) => r.state === 'STOPPED');
    expect(own.taskResult).toEqual({ status: 'FAILED', exitCode: 4 });
    expect(agent.snapshot().tasks.map((t) => t.state)).toEqual(['STOPPED', 'STOPPED', 'STOPPED']);
  });

  it('still fails the start honestly when nothing was started', async () => {
    // A record persisted in STARTING whose start never happened (killed before the fork).
    for (const agent of agents.splice(0)) await agent.stop({ killWorkloads: false });
    const store = new WorkloadStore(dataDir, silentLogger);
    await store.loadAll();
    const record = newWorkloadRecord({
      kind: 'task', instanceId: 'TI-never-started', spec: taskSpec('/bin/true'), allocation: { numaNode: '0', cores: [0], memoryMB: 64 },
      killTimeoutMs: 1_000, now: Date.now(),
    });
    record.state = 'STARTING';
    await store.save(record, 'now');
    await store.close();
    await restartAgent();
    const failed = await controller.waitForTask('TI-never-started', (r) => r.state === 'STOPPED');
    expect(failed.taskResult).toEqual({ status: 'FAILED', exitCode: -1 });
    expect(failed.errorMessage).toContain('its start could not be confirmed');
  });
});
