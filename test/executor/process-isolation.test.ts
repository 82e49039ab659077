/**
 * PROCESS workloads confined to what they booked, on this machine: a real controller, a real
 * executor (child process) offering this machine's real CPUs, real processes in real cgroups.
 * This machine mounts cgroup v1 (hybrid: the v2 mount carries no cpuset or memory controller),
 * so these tests exercise the v1 layout; the v2 layout is exercised in cgroup-v2.test.ts
 * against a directory laid out like a v2 hierarchy.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor, type TestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createBody, killBody, processSpec, waitForTaskState } from '../tasks/task-fixtures.ts';

const CGROUP = '/sys/fs/cgroup';
const V1 = existsSync(path.join(CGROUP, 'cpuset', 'cpuset.cpus')) && existsSync(path.join(CGROUP, 'memory', 'memory.limit_in_bytes'));
const CPUS = os.cpus().length;

let controller: TestController;
let executor: TestExecutor;

/** The executor's parent cgroup in a v1 hierarchy (below its own cgroup there, src/executor/host/cgroups/open-cgroups.ts). */
function ownV1Path(pid: number, controllerName: string): string {
  const line = execFileSync('cat', [`/proc/${pid}/cgroup`], { encoding: 'utf8' }).split('\n').find((l) => l.split(':')[1]?.split(',').includes(controllerName));
  return line?.split(':')[2] ?? '/';
}
function workloadCgroup(controllerName: 'cpuset' | 'memory', instanceId = ''): string {
  return path.join(CGROUP, controllerName, ownV1Path(executor.child.pid!, controllerName), 'corral', executor.executorId, instanceId);
}

async function output(instanceId: string): Promise<string> {
  return readFile(path.join(executor.dataDir, 'workloads', instanceId, 'output.log'), 'utf8').catch(() => '');
}

async function create(spec: Record<string, unknown>) {
  const response = await controller.api().post('/apis/v1/tasks/operations', createBody(spec));
  expect(response.status, JSON.stringify(response.body)).toBe(200);
}

function coresOf(task: Record<string, any>): number[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  const cpu = task.resources.find((r: { type: string }) => r.type === 'CPU');
  return Object.values(cpu.cores as Record<string, number[]>).flat();
}

/** `Cpus_allowed_list` of the workload's own process, as it printed it. */
const REPORT_CPUS = 'grep Cpus_allowed_list /proc/self/status; exec sleep 120';

beforeAll(async () => {
  controller = await startTestController();
  executor = await startTestExecutor(controller.url, { secret: controller.config.clusterSecret, memoryMb: 2048 });
}, 60_000);
afterAll(async () => {
  await stopAllTestProcesses();
});

describe.runIf(V1 && CPUS >= 2)('PROCESS workloads in cgroups (v1, this machine)', () => {
  it('the executor reports the real topology and that it confines PROCESS workloads', async () => {
    const { body } = await controller.api().get(`/apis/v1/cluster/executors/${executor.executorId}`);
    expect(body.data.host).toMatchObject({ pinning: 'pinned', enforcement: { cgroups: 'v1', process: true, disabledByOperator: false } });
    expect(body.data.host.numaNodes.flatMap((n: { cpus: number[] }) => n.cpus)).toHaveLength(CPUS);
    expect(Object.values(body.data.state.layout.cores as Record<string, number[]>).flat().sort()).toEqual([...Array(CPUS).keys()]);
    // …and says so on its start-up line.
    expect(executor.output()).toMatch(/PROCESS workloads confined by cgroup v1 \(cores pinned\)/);
  });

  it('a task that allocates past its memory is killed and reported as OOM', async () => {
    // `tail` keeps the whole newline-free stream in memory: it grows until the limit stops it.
    await create(processSpec('oom', '/bin/sh', ['-c', 'head -c 400000000 /dev/zero | tail'], {
      resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
    }));
    const task = await waitForTaskState(controller.api(), 'TEST_APP', 'oom', ['STOPPED'], 60_000);
    expect(task.errorMessage).toMatch(/^OOM killed: limit 64 MB \(exit code \d+\)$/);
    expect(task.taskResult.status).toBe('FAILED');
    expect(task.taskResult.exitCode).toBe(137);
    expect(await output(task.instanceId)).not.toContain('cannot join');
    expect(existsSync(workloadCgroup('memory', task.instanceId))).toBe(false);
  }, 90_000);

  it('two workloads run on their own booked cores, in cgroups with their limits, and never share one', async () => {
    await create(processSpec('pin-a', '/bin/sh', ['-c', REPORT_CPUS]));
    await create(processSpec('pin-b', '/bin/sh', ['-c', REPORT_CPUS]));
    const a = await waitForTaskState(controller.api(), 'TEST_APP', 'pin-a', ['RUNNING']);
    const b = await waitForTaskState(controller.api(), 'TEST_APP', 'pin-b', ['RUNNING']);
    const [coresA, coresB] = [coresOf(a), coresOf(b)];
    expect(coresA.filter((core) => coresB.includes(core))).toEqual([]);
    for (const [task, cores] of [[a, coresA], [b, coresB]] as const) {
      const printed = await waitFor(async () => /Cpus_allowed_list:\s*(\S+)/.exec(await output(task.instanceId))?.[1], { timeoutMs: 15_000, message: 'the task printed its CPUs' });
      expect(printed).toBe(cores.join(','));
      expect((await readFile(path.join(workloadCgroup('cpuset', task.instanceId), 'cpuset.cpus'), 'utf8')).trim()).toBe(cores.join(','));
      expect(Number(await readFile(path.join(workloadCgroup('memory', task.instanceId), 'memory.limit_in_bytes'), 'utf8'))).toBe(64 * 1024 * 1024);
    }
    // The details say who holds which core.
    const { body } = await controller.api().get(`/apis/v1/cluster/executors/${executor.executorId}`);
    expect(body.data.coreHolders).toEqual(expect.arrayContaining([
      expect.objectContaining({ core: coresA[0], instanceId: a.instanceId, sourceAppName: 'TEST_APP', taskId: 'pin-a' }),
      expect.objectContaining({ core: coresB[0], instanceId: b.instanceId, sourceAppName: 'TEST_APP', taskId: 'pin-b' }),
    ]));
    // Every core is taken: a third workload is refused, as is one wider than a NUMA node.
    const third = await controller.api().post('/apis/v1/tasks/operations', createBody(processSpec('pin-c', '/bin/true')));
    expect(third.status).toBe(400);
    expect(third.body.data.validationErrors).toContain('Cluster does not have enough CPU. Required: 1 Available: 0');
    const wide = await controller.api().post('/apis/v1/tasks/validate/spec', processSpec('wide', '/bin/true', [], { resources: [{ type: 'CPU', count: CPUS + 1 }, { type: 'MEMORY', sizeInMB: 64 }] }));
    expect(wide.body.data.validationErrors).toContain(`Required cores exceeds the maximum core available on a single NUMA node in the cluster. Required: ${CPUS + 1} Max: ${CPUS}`);
    // Ended workloads leave no cgroup behind.
    for (const id of ['pin-a', 'pin-b']) await controller.api().post('/apis/v1/tasks/operations', killBody('TEST_APP', id));
    for (const task of [a, b]) {
      await waitForTaskState(controller.api(), 'TEST_APP', task.taskId, ['STOPPED'], 30_000);
      await waitFor(() => !existsSync(workloadCgroup('cpuset', task.instanceId)) && !existsSync(workloadCgroup('memory', task.instanceId)), { message: 'cgroups removed' });
    }
  }, 90_000);

  it('a workload keeps its cgroup across an executor killed outright, and a cgroup nobody knows is emptied and removed', async () => {
    await create(processSpec('survivor', '/bin/sh', ['-c', REPORT_CPUS]));
    const task = await waitForTaskState(controller.api(), 'TEST_APP', 'survivor', ['RUNNING']);
    const procs = path.join(workloadCgroup('memory', task.instanceId), 'cgroup.procs');
    const pid = await waitFor(async () => Number((await readFile(procs, 'utf8').catch(() => '')).split('\n')[0]) || undefined, { message: 'the workload in its cgroup' });
    // An orphan: a cgroup with a process in it that no record knows (an executor that died mid-start).
    const orphanCpuset = workloadCgroup('cpuset', 'TI-orphan-left-by-a-crash');
    const orphanMemory = workloadCgroup('memory', 'TI-orphan-left-by-a-crash');
    await mkdir(orphanCpuset);
    await writeFile(path.join(orphanCpuset, 'cpuset.cpus'), '0');
    await writeFile(path.join(orphanCpuset, 'cpuset.mems'), '0');
    await mkdir(orphanMemory);
    const orphan = spawn('sleep', ['300'], { stdio: 'ignore', detached: true });
    await writeFile(path.join(orphanMemory, 'cgroup.procs'), String(orphan.pid));
    const orphanGone = new Promise((resolve) => orphan.once('exit', resolve));

    await executor.kill('SIGKILL');
    executor = await executor.restart();
    await waitFor(async () => (await waitForTaskState(controller.api(), 'TEST_APP', 'survivor', ['RUNNING'])) && true);
    expect((await readFile(procs, 'utf8')).split('\n')).toContain(String(pid));
    await orphanGone;
    await waitFor(() => !existsSync(orphanCpuset) && !existsSync(orphanMemory), { message: 'the orphan cgroup removed' });

    await controller.api().post('/apis/v1/tasks/operations', killBody('TEST_APP', 'survivor'));
    await waitForTaskState(controller.api(), 'TEST_APP', 'survivor', ['STOPPED'], 30_000);
    await waitFor(() => !existsSync(path.dirname(procs)), { message: 'the survivor cgroup removed' });
  }, 120_000);

  it('an executor that stops with no workload left removes its cgroup parents', async () => {
    const parents = [workloadCgroup('cpuset'), workloadCgroup('memory')];
    expect(parents.every((dir) => existsSync(dir))).toBe(true);
    await executor.stop();
    expect(parents.filter((dir) => existsSync(dir))).toEqual([]);
  }, 60_000);
});
