/**
 * The cgroup layouts this machine does not have, and hosts that give no cgroups at all.
 *
 * This machine mounts cgroup v1 (process-isolation.test.ts runs real workloads in it). The v2
 * layout is exercised here against a directory laid out like a cgroup v2 mount (a root with
 * `cgroup.controllers`, `cgroup.subtree_control`): the driver makes its directories and writes
 * its limits there as it would under /sys/fs/cgroup, and the real workload process writes its
 * own pid to the `cgroup.procs` file before it execs the command — which a regular file records
 * as faithfully as the kernel would. What a regular directory cannot do (apply the limits, count
 * OOM kills) the test plays the kernel's part for: it writes `memory.events` itself.
 */
import { execFileSync } from 'node:child_process';
import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/common/logger.ts';
import { startExecutor } from '../../../src/executor/agent/executor-agent.ts';
import { ProcessDriver } from '../../../src/executor/drivers/process/process-driver.ts';
import { openCgroups } from '../../../src/executor/host/cgroups/open-cgroups.ts';
import { hostPlacement } from '../../../src/executor/host/resource-plan.ts';
import { FakeController } from '../helpers/fake-controller.ts';
import { startTask, taskSpec } from '../helpers/specs.ts';
import { eventually, processSpec, tempDir } from '../helpers/workload-fixtures.ts';

let root: string;
let cleanup: () => Promise<void>;
const never = new AbortController().signal;

async function layOutV2(dir: string, controllers: string): Promise<{ root: string; self: string }> {
  const cgroupRoot = path.join(dir, 'cgroup');
  await mkdir(cgroupRoot, { recursive: true });
  await writeFile(path.join(cgroupRoot, 'cgroup.controllers'), `${controllers}\n`);
  await writeFile(path.join(cgroupRoot, 'cgroup.subtree_control'), '');
  await writeFile(path.join(cgroupRoot, 'cgroup.procs'), '');
  const self = path.join(dir, 'self-cgroup');
  await writeFile(self, '0::/\n');
  return { root: cgroupRoot, self };
}

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir('corral-cgroups-'));
});
afterAll(async () => {
  await cleanup();
});

describe('cgroup v2 (a directory laid out like a v2 mount)', () => {
  it('delegates the controllers down to the parent, confines a real process before it runs, and says OOM', async () => {
    const fake = await layOutV2(path.join(root, 'v2'), 'cpuset cpu io memory pids');
    // No probe cgroup: a regular directory with files in it cannot be removed as a cgroup can.
    const setup = await openCgroups({ executorId: 'exec-1', root: fake.root, selfCgroupFile: fake.self });
    expect(setup.problem).toBeUndefined();
    expect(setup.version).toBe('v2');
    const parent = path.join(fake.root, 'corral.slice', 'exec-1');
    for (const dir of [fake.root, path.join(fake.root, 'corral.slice'), parent]) {
      expect((await readFile(path.join(dir, 'cgroup.subtree_control'), 'utf8')).split(' ').sort()).toEqual(['+cpu', '+cpuset', '+memory']);
    }
    const plan = { pinning: 'pinned' as const, offeredCpus: [0, 1], offeredMems: [0] };
    const driver = new ProcessDriver({
      dataDir: path.join(root, 'v2-data'), recoverPollMs: 50,
      confinement: { mode: 'cgroups', cgroups: setup.cgroups!, placement: (a) => hostPlacement(plan, a) },
    });
    expect(driver.capabilities.enforces).toEqual({ cores: true, memory: true });
    const spec = await processSpec(path.join(root, 'v2-work'), '/bin/sleep', ['30']);
    spec.allocation = { numaNode: '0', cores: [1], memoryMB: 64 };
    const handle = await driver.start(spec, never);
    const dir = path.join(parent, spec.instanceId);
    const read = (file: string) => readFile(path.join(dir, file), 'utf8').then((t) => t.trim());
    expect(await read('cpuset.cpus')).toBe('1');
    expect(await read('cpuset.mems')).toBe('0');
    expect(await read('memory.max')).toBe(String(64 * 1024 * 1024));
    expect(await read('memory.swap.max')).toBe('0');
    expect(await read('memory.oom.group')).toBe('1');
    // The process wrote its own pid before exec: the same pid now runs the command itself.
    await eventually(async () => (await read('cgroup.procs').catch(() => '')) === String(handle.state.pid), { what: 'the pid in cgroup.procs' });
    // It joins before it execs, so for a moment the pid is there still running the wrapper (or
    // mid-exec, with an empty cmdline): wait for the exec to be done.
    await eventually(async () => (await readFile(`/proc/${handle.state.pid}/cmdline`, 'utf8')).split('\0')[0] === '/bin/sleep', { what: 'the pid running /bin/sleep' });

    // The kernel's part: the OOM killer counted a kill in memory.events and SIGKILLed the process.
    await writeFile(path.join(dir, 'memory.current'), String(64 * 1024 * 1024));
    await writeFile(path.join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n');
    process.kill(Number(handle.state.pid), 'SIGKILL');
    expect(await driver.wait(handle, never)).toEqual({ exitCode: 137, signal: 'SIGKILL', oom: { limitMb: 64 } });
    // A real cgroup directory's control files vanish with it; these regular files must go first.
    for (const file of ['cpuset.cpus', 'cpuset.mems', 'memory.max', 'memory.swap.max', 'memory.oom.group', 'cgroup.procs', 'memory.current', 'memory.events']) await rm(path.join(dir, file));
    await driver.destroy(handle);
    await expect(readFile(path.join(dir, 'cpuset.cpus'))).rejects.toThrow(/ENOENT/);
    await driver.close();
  });

  it('a v2 hierarchy without the memory controller is refused at start, saying which', async () => {
    const fake = await layOutV2(path.join(root, 'v2-nomem'), 'cpuset cpu io pids');
    const setup = await openCgroups({ executorId: 'exec-1', root: fake.root, selfCgroupFile: fake.self, probe: { cpus: [0], mems: [0] } });
    expect(setup.problem).toContain(`the cgroup v2 hierarchy at ${fake.root} does not offer the memory controller(s) (cgroup.controllers: cpuset cpu io pids)`);
  });
});

describe('a read-only cgroup mount', () => {
  // A tmpfs laid out like a v2 mount and remounted read-only: the root-only way to make a file
  // system refuse writes whatever the permissions (root ignores them).
  it.runIf(process.getuid?.() === 0)('is refused at start, with the file system\'s reason', async () => {
    const mountPoint = path.join(root, 'ro-mount');
    await mkdir(mountPoint, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'corral-test-ro', mountPoint]);
    try {
      const fake = await layOutV2(mountPoint, 'cpuset cpu io memory pids');
      execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
      const setup = await openCgroups({ executorId: 'exec-ro', root: fake.root, selfCgroupFile: fake.self });
      expect(setup.problem).toMatch(/^cannot create workload cgroups under .*corral\.slice\/exec-ro: EROFS: read-only file system, mkdir/);
    } finally {
      execFileSync('umount', [mountPoint]);
    }
  });
});

describe('a host without usable cgroups', () => {
  it('says so at start, shows it in hello, and refuses PROCESS starts until the operator opts out with --no-enforce', async () => {
    const empty = path.join(root, 'no-cgroups');
    await mkdir(empty, { recursive: true });
    const controller = await FakeController.start({ snapshotIntervalMs: 150 });
    const agent = await startExecutor({
      controllers: controller.url, secret: controller.secret, dataDir: path.join(root, 'refusing'), port: 3191, hostname: 'no-cgroups.local',
      cores: 1, memoryMb: 512, cgroupRoot: empty, logger: silentLogger,
    });
    try {
      await controller.waitFor((m) => m.type === 'snapshot');
      expect(controller.hellos[0].executor.host?.enforcement).toEqual({
        cgroups: 'none', process: false, disabledByOperator: false, problem: `no cgroup hierarchy with the cpuset and memory controllers is mounted at ${empty}`,
      });
      const id = startTask(controller, taskSpec('/bin/true'));
      const final = await controller.waitForTask(id, (r) => r.state === 'STOPPED');
      expect(final.errorMessage).toBe(`this executor cannot confine host processes to their cores and memory (no cgroup hierarchy with the cpuset and memory controllers is mounted at ${empty}); `
        + 'its operator may start it with --no-enforce to run PROCESS workloads unconfined');
      expect(controller.statesOf(id)).toContain('PROVISIONING_FAILED');
    } finally {
      await agent.stop({ killWorkloads: true });
    }
    const optedOut = await startExecutor({
      controllers: controller.url, secret: controller.secret, dataDir: path.join(root, 'unconfined'), port: 3192, hostname: 'no-cgroups.local',
      cores: 1, memoryMb: 512, cgroupRoot: empty, enforce: false, logger: silentLogger,
    });
    try {
      await eventually(() => controller.hellos.length >= 2, { what: 'the second hello' });
      expect(controller.hellos[1].executor.host?.enforcement).toEqual({ cgroups: 'none', process: false, disabledByOperator: true });
      const id = startTask(controller, taskSpec('/bin/true'));
      const final = await controller.waitForTask(id, (r) => r.state === 'STOPPED');
      expect(final.taskResult).toEqual({ status: 'SUCCESSFUL', exitCode: 0 });
    } finally {
      await optedOut.stop({ killWorkloads: true });
      await controller.close();
    }
  });
});
