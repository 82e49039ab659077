/**
 * The docker driver against a real engine (Podman's Docker-compatible socket): an HTTP app with
 * a published port, config files and CMD checks; tasks with exit codes, env, user, volumes and
 * logs; graceful stop, stop-timeout and kill. Every test leaves no container behind.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createDockerDriver } from '../../src/executor/drivers/docker/docker-driver.ts';
import {
  describeWithEngine, docker, eventually, expectNoContainers, freePort, httpGet, makeSpec, readLog, removeDir, requireEngineAndImages,
  tempDir, testExecutorId,
} from './docker-test-env.ts';

const executorId = testExecutorId('run');
const driver = createDockerDriver({ executorId });
const never = new AbortController().signal;
let dir: string;

describeWithEngine('docker driver: running containers', () => {
  beforeAll(async () => {
    await requireEngineAndImages();
    dir = await tempDir('run');
  });
  afterEach(async () => expectNoContainers(executorId));
  afterAll(async () => {
    await driver.close();
    await removeDir(dir);
  });

  it('runs an HTTP app on its published port with a config file, limits, labels and CMD exec', async () => {
    const hostPort = await freePort();
    const work = join(dir, 'app');
    await mkdir(join(work, 'configs'), { recursive: true });
    const configPath = join(work, 'configs', 'app.yml');
    await writeFile(configPath, 'port: 8000\ngreeting: hello\n');
    const spec = makeSpec({
      dir: work, executorId,
      ports: [{ name: 'main', containerPort: 8000, hostPort, type: 'HTTP' }],
      configFiles: [{ localFilename: '/etc/app/app.yml', hostPath: configPath }],
      env: { GREETING: 'hi there' },
    });
    expect(await driver.available()).toBe(true);
    await driver.prepare(spec, never);
    const handle = await driver.start(spec, never);
    expect(handle.driver).toBe('DOCKER');

    const answer = await httpGet(hostPort, '/health');
    expect(answer).toEqual({ status: 200, body: 'OK\n' });

    const info = await docker.getContainer(String(handle.state.containerId)).inspect();
    expect(info.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(info.HostConfig.CpusetCpus).toBe('0');
    expect(info.Config.Labels).toMatchObject({
      'corral.instance-id': spec.instanceId, 'corral.kind': 'instance', 'corral.owner': spec.ownerId, 'corral.executor-id': executorId,
    });

    const config = await driver.exec(handle, ['cat', '/etc/app/app.yml'], 5_000);
    expect(config).toEqual({ exitCode: 0, output: 'port: 8000\ngreeting: hello\n' });
    const failing = await driver.exec(handle, ['sh', '-c', 'echo "$GREETING / $EXTRA"; exit 3'], 5_000, { EXTRA: 'from exec' });
    expect(failing).toEqual({ exitCode: 3, output: 'hi there / from exec\n' });
    const started = performance.now();
    const slow = await driver.exec(handle, ['sleep', '30'], 300);
    expect(slow.exitCode).toBe(-1);
    expect(slow.output).toContain('timed out after 300 ms');
    expect(performance.now() - started).toBeLessThan(3_000);

    // The image's entry point turns SIGTERM into a clean exit: stop is graceful and quick.
    const stopStarted = performance.now();
    await driver.stop(handle, 10_000);
    expect(performance.now() - stopStarted).toBeLessThan(5_000);
    expect(await driver.wait(handle, never)).toEqual({ exitCode: 0 });
    const log = await readLog(spec);
    expect(log).toContain('serve: listening on 8000');
    expect(log).toContain('response:200');
    await driver.destroy(handle);
    await driver.destroy(handle); // idempotent
  });

  it('runs a task with env, args, user and a volume, and gives its exit code and output', async () => {
    const work = join(dir, 'task');
    const volume = join(dir, 'volume');
    await mkdir(volume, { recursive: true });
    const spec = makeSpec({
      dir: work, executorId, kind: 'task',
      args: ['echo "hello $WHO"; id -u; echo to-stderr >&2; cat /data/in.txt; echo written > /data/out.txt; exit 7'],
      env: { WHO: 'corral' },
      volumes: [{ pathOnHost: volume, pathInContainer: '/data', mode: 'READ_WRITE' }],
      userSpec: { user: '0', group: '0' },
    });
    await writeFile(join(volume, 'in.txt'), 'from the host\n');
    await driver.prepare(spec, never);
    const handle = await driver.start(spec, never);
    expect(await driver.wait(handle, never)).toEqual({ exitCode: 7 });
    // wait() returns once the last lines are in output.log.
    const log = await readLog(spec);
    expect(log.split('\n').sort()).toEqual(['', '0', 'from the host', 'hello corral', 'to-stderr'].sort());
    expect(await readFile(join(volume, 'out.txt'), 'utf8')).toBe('written\n');
    await driver.destroy(handle);
  });

  it('runs as the userSpec user', async () => {
    const spec = makeSpec({ dir: join(dir, 'user'), executorId, kind: 'task', args: ['id -u; id -g'], userSpec: { user: 'nobody', group: '65534' } });
    const handle = await driver.start(spec, never);
    expect(await driver.wait(handle, never)).toEqual({ exitCode: 0 });
    expect(await readLog(spec)).toBe('65534\n65534\n');
    await driver.destroy(handle);
  });

  it('gives the exit code of a container that exits at once, and of the image default command', async () => {
    const quick = makeSpec({ dir: join(dir, 'quick'), executorId, kind: 'task', args: ['exit 42'] });
    const defaults = makeSpec({ dir: join(dir, 'default'), executorId, kind: 'task', env: { EXIT_CODE: '3' } });
    const [a, b] = await Promise.all([driver.start(quick, never), driver.start(defaults, never)]);
    expect(await driver.wait(a, never)).toEqual({ exitCode: 42 });
    expect(await driver.wait(b, never)).toEqual({ exitCode: 3 });
    expect(await readLog(defaults)).toContain('task done, exiting 3');
    await expect(driver.exec(a, ['true'], 1_000)).rejects.toMatchObject({ code: 'EXEC_FAILED', message: expect.stringMatching(/^could not run "true" in container [0-9a-f]{12}: /) });
    await Promise.all([driver.destroy(a), driver.destroy(b)]);
  });

  it('stop waits its timeout for a container that ignores SIGTERM, then kills it', async () => {
    const spec = makeSpec({ dir: join(dir, 'stubborn'), executorId, kind: 'task', args: ['trap "" TERM; echo up; while true; do sleep 1; done'] });
    const handle = await driver.start(spec, never);
    await eventually('the task to be up', async () => ((await readLog(spec)).includes('up') ? true : undefined));
    const started = performance.now();
    await driver.stop(handle, 1_000);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(6_000);
    expect(await driver.wait(handle, never)).toEqual({ exitCode: 137, signal: 'SIGKILL' });
    await driver.destroy(handle);
  });

  it('kill ends a container now', async () => {
    const spec = makeSpec({ dir: join(dir, 'kill'), executorId, kind: 'task', env: { SLEEP_SECONDS: '60' } });
    const handle = await driver.start(spec, never);
    const started = performance.now();
    await driver.kill(handle);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(await driver.wait(handle, never)).toEqual({ exitCode: 137, signal: 'SIGKILL' });
    await driver.kill(handle); // already dead: no error
    await driver.stop(handle, 1_000);
    await driver.destroy(handle);
  });

  it('wait honours its abort signal while the container keeps running', async () => {
    const spec = makeSpec({ dir: join(dir, 'abort'), executorId, kind: 'task', env: { SLEEP_SECONDS: '60' } });
    const handle = await driver.start(spec, never);
    const controller = new AbortController();
    const waiting = driver.wait(handle, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toThrow();
    const info = await docker.getContainer(String(handle.state.containerId)).inspect();
    expect(info.State.Running).toBe(true);
    await driver.kill(handle);
    await driver.destroy(handle);
  });

  it('destroy removes a container that is still running, at once', async () => {
    const spec = makeSpec({ dir: join(dir, 'destroy-running'), executorId, kind: 'task', env: { SLEEP_SECONDS: '60' } });
    const handle = await driver.start(spec, never);
    const started = performance.now();
    await driver.destroy(handle);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(await driver.wait(handle, never)).toMatchObject({ exitCode: -1, error: expect.stringContaining('disappeared') });
  });
});
