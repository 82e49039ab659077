/**
 * Per-workload usage from a real executor to the controller's `/metrics` and info reads: a real
 * controller, a real executor sampling every 300 ms, a real PROCESS task in its cgroup (cgroup
 * v1 on this machine) that holds memory and burns CPU. Also the controller's own series: its
 * operations, transitions, placement, store writes and channel round trips.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../cli/helpers/run-cli.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor, type TestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createBody, getTask, killBody, processSpec, waitForTaskState } from '../tasks/task-fixtures.ts';
import { httpAppSpec } from '../apps/real-cluster.ts';

let controller: TestController;
let executor: TestExecutor;

async function metricsText(): Promise<string> {
  const res = await controller.api().get('/metrics');
  expect(res.status).toBe(200);
  return res.text;
}

/** The value of the series whose name and labels contain every given fragment (undefined when absent). */
function seriesValue(text: string, name: string, ...fragments: string[]): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && fragments.every((f) => l.includes(f)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

beforeAll(async () => {
  controller = await startTestController();
  executor = await startTestExecutor(controller.url, { secret: controller.config.clusterSecret, memoryMb: 2048, extraArgs: ['--stats-interval', '300'] });
}, 60_000);
afterAll(async () => {
  await stopAllTestProcesses();
});

describe('workload usage', () => {
  it('a running task\'s CPU and memory reach its info and /metrics, labelled by app, task, instance and executor, and go when it ends', async () => {
    // ~20 MB held in a shell variable, then a busy loop on its one core.
    const script = 'x=$(head -c 20000000 /dev/zero | tr "\\0" a); while :; do :; done';
    const created = await controller.api().post('/apis/v1/tasks/operations', createBody(processSpec('burn', '/bin/sh', ['-c', script])));
    expect(created.status).toBe(200);
    const running = await waitForTaskState(controller.api(), 'TEST_APP', 'burn', ['RUNNING']);
    const usage = await waitFor(async () => {
      const task = await getTask(controller.api(), 'TEST_APP', 'burn');
      const u = task?.resourceUsage;
      return u && u.memoryBytes > 15_000_000 && u.cpuPercent > 20 ? u : undefined;
    }, { timeoutMs: 20_000, message: 'resourceUsage with the held memory and a busy CPU' });
    expect(usage.memoryLimitBytes).toBe(64 * 1024 * 1024);
    expect(usage.cpuSeconds).toBeGreaterThan(0);
    expect(usage.oomKills).toBe(0);

    const labels = [`app="TEST_APP"`, `task="burn"`, `instance="${running.instanceId}"`, `executor="${executor.executorId}"`, `kind="task"`];
    const text = await metricsText();
    expect(seriesValue(text, 'corral_workload_memory_usage_bytes', ...labels)).toBeGreaterThan(15_000_000);
    expect(seriesValue(text, 'corral_workload_memory_limit_bytes', ...labels)).toBe(64 * 1024 * 1024);
    expect(seriesValue(text, 'corral_workload_cpu_seconds_total', ...labels)).toBeGreaterThan(0);
    expect(seriesValue(text, 'corral_workload_cpu_usage_ratio', ...labels)).toBeGreaterThan(0);
    expect(seriesValue(text, 'corral_executor_cores', `executor="${executor.executorId}"`, 'state="used"')).toBe(1);
    expect(seriesValue(text, 'corral_executor_memory_bytes', `executor="${executor.executorId}"`, 'state="used"')).toBe(64 * 1024 * 1024);

    // The CLI prints it with the task.
    const env = { CORRAL_CONFIG: path.join(tempDir(), 'config.yml') };
    expect((await runCli(['config', 'add-cluster', 'local', '-e', controller.url, '-u', 'admin', '-p', 'admin'], { env })).code).toBe(0);
    const shown = await runCli(['-c', 'local', 'tasks', 'show', 'TEST_APP', 'burn'], { env });
    expect(shown.stdout).toMatch(/^CPU Used: +\d+\.\d% of a core \(\d+\.\d s in all\)$/m);
    expect(shown.stdout).toMatch(/^Memory Used: +\d+\.\d MB of 64\.0 MB limit$/m);
    const info = await runCli(['-c', 'local', 'executor', 'info', executor.executorId], { env });
    expect(info.stdout).toMatch(/^Enforcement: +PROCESS workloads in cgroups \(v[12]\); DOCKER by the engine$/m);
    expect(info.stdout).toMatch(new RegExp(`^Core Holders: +\\d+:\\d+=TEST_APP/burn$`, 'm'));

    await controller.api().post('/apis/v1/tasks/operations', killBody('TEST_APP', 'burn'));
    await waitForTaskState(controller.api(), 'TEST_APP', 'burn', ['STOPPED'], 30_000);
    await waitFor(async () => !(await metricsText()).includes(`instance="${running.instanceId}"`), { timeoutMs: 10_000, message: 'the ended task\'s series dropped' });
    expect((await getTask(controller.api(), 'TEST_APP', 'burn'))?.resourceUsage).toBeUndefined();
  }, 60_000);

  it('an app instance\'s usage reaches its info and /metrics, labelled by its appId', async () => {
    const spec = httpAppSpec('metered', 'metered');
    const created = await controller.api().post('/apis/v1/applications/operations', { type: 'CREATE', spec, instances: 1, opSpec: { timeout: '60s', parallelism: 1, failureStrategy: 'STOP' } });
    expect(created.body, JSON.stringify(created.body)).toMatchObject({ status: 'SUCCESS' });
    const instanceId = await waitFor(async () => {
      const { body } = await controller.api().get('/apis/v1/applications/metered-1/instances');
      return body.data?.find((i: { state: string }) => i.state === 'HEALTHY')?.instanceId as string | undefined;
    }, { timeoutMs: 60_000, message: 'a HEALTHY instance of metered-1' });
    const usage = await waitFor(async () => (await controller.api().get(`/apis/v1/applications/metered-1/instances/${instanceId}`)).body.data?.resourceUsage, { timeoutMs: 20_000, message: 'resourceUsage of the instance' });
    expect(usage.memoryLimitBytes).toBe(64 * 1024 * 1024);
    expect(usage.memoryBytes).toBeGreaterThan(1_000_000);
    expect(seriesValue(await metricsText(), 'corral_workload_memory_usage_bytes', 'app="metered-1"', 'task=""', `instance="${instanceId}"`, 'kind="instance"')).toBeGreaterThan(1_000_000);
  }, 90_000);

  it('exports the controller\'s own work: operations, transitions, placement, store writes, channel round trips', async () => {
    const text = await waitFor(async () => {
      const t = await metricsText();
      return /^corral_executor_channel_round_trip_seconds_count \d*[1-9]/m.test(t) ? t : undefined;
    }, { timeoutMs: 20_000, message: 'a channel round trip observed' });
    expect(seriesValue(text, 'corral_operation_transitions_total', 'state="COMPLETED"')).toBeGreaterThanOrEqual(1);
    expect(seriesValue(text, 'corral_operation_duration_seconds_count', 'state="COMPLETED"')).toBeGreaterThanOrEqual(1);
    expect(seriesValue(text, 'corral_task_transitions_total', 'state="RUNNING"')).toBeGreaterThanOrEqual(1);
    expect(seriesValue(text, 'corral_placement_duration_seconds_count', 'outcome="placed"')).toBeGreaterThanOrEqual(1);
    expect(seriesValue(text, 'corral_store_write_duration_seconds_count', 'method=')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^corral_http_request_duration_seconds_count\{method="POST",route="\/apis\/v1\/tasks\/operations",status_code="200"\} [1-9]/m);
    expect(text).toContain('# TYPE corral_operations gauge');
  }, 30_000);
});
