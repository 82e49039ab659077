/**
 * The docker driver after an executor restart (a new driver instance recovers a running
 * container, resumes its logs exactly and gets its real exit code), the orphan reaper, image
 * removal when caching is off, and bad input: a missing image, a missing volume, a host port
 * already taken, an unreachable engine. Every test leaves no container behind.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { DockerDriverError, createDockerDriver } from '../../src/executor/drivers/docker/docker-driver.ts';
import {
  TASK_IMAGE, containersOf, describeWithEngine, docker, eventually, expectNoContainers, freePort, makeSpec, readLog, removeDir,
  requireEngineAndImages, tempDir, testExecutorId,
} from './docker-test-env.ts';

const executorId = testExecutorId('recover');
const otherExecutorId = testExecutorId('recover-other');
const driver = createDockerDriver({ executorId });
const never = new AbortController().signal;
let dir: string;

describeWithEngine('docker driver: recovery, reaper and bad input', () => {
  beforeAll(async () => {
    await requireEngineAndImages();
    dir = await tempDir('recover');
  });
  afterEach(async () => {
    await expectNoContainers(executorId);
    await expectNoContainers(otherExecutorId);
  });
  afterAll(async () => {
    await driver.close();
    await removeDir(dir);
  });

  it('a new driver instance recovers a running container, resumes its logs exactly and gets its exit code', async () => {
    const first = createDockerDriver({ executorId });
    // Several lines per second: Podman's log timestamps have one-second precision, so resuming
    // must skip exactly the lines already written within the same second.
    const spec = makeSpec({
      dir: join(dir, 'recover'), executorId, kind: 'task',
      args: ['i=1; while [ $i -le 30 ]; do echo "line $i"; i=$((i+1)); sleep 0.05; done; exit 5'],
    });
    const handle = await first.start(spec, never);
    await eventually('some output before the "restart"', async () => ((await readLog(spec)).includes('line 3\n') ? true : undefined));
    await first.close(); // executor shutdown: the container keeps running
    const persisted = JSON.parse(JSON.stringify(handle)) as typeof handle;

    const second = createDockerDriver({ executorId });
    const listed = await second.listManaged();
    expect(listed.map((c) => c.instanceId)).toEqual([spec.instanceId]);
    const recovered = await second.recover(persisted);
    expect(recovered?.state.containerId).toBe(handle.state.containerId);
    expect(await second.wait(recovered!, never)).toEqual({ exitCode: 5 });
    const expected = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    expect(await readLog(spec)).toBe(expected);

    // An exited container is recovered too, and wait gives its exit code from the engine.
    const third = createDockerDriver({ executorId });
    const again = await third.recover(persisted);
    expect(await third.wait(again!, never)).toEqual({ exitCode: 5 });
    expect(await readLog(spec)).toBe(expected);
    await third.destroy(again!);
    expect(await third.recover(persisted)).toBeUndefined();
    await Promise.all([second.close(), third.close()]);
  });

  it('reaps containers of this executor whose instance is unknown, and only those', async () => {
    const other = createDockerDriver({ executorId: otherExecutorId });
    const mk = (name: string, owner: string) => makeSpec({ dir: join(dir, name), executorId: owner, kind: 'task', env: { SLEEP_SECONDS: '60' } });
    const known = mk('known', executorId);
    const orphan = mk('orphan', executorId);
    const foreign = mk('foreign', otherExecutorId);
    const [hKnown, , hForeign] = await Promise.all([driver.start(known, never), driver.start(orphan, never), other.start(foreign, never)]);
    expect(await driver.reapOrphans(new Set([known.instanceId]))).toEqual([orphan.instanceId]);
    expect((await containersOf(executorId)).map((c) => c.Labels['corral.instance-id'])).toEqual([known.instanceId]);
    expect((await containersOf(otherExecutorId)).map((c) => c.Labels['corral.instance-id'])).toEqual([foreign.instanceId]);
    await Promise.all([driver.kill(hKnown), other.kill(hForeign)]);
    await Promise.all([driver.destroy(hKnown), other.destroy(hForeign)]);
    await other.close();
  });

  it('removes the image on destroy when image caching is off', async () => {
    const image = `corral-test/task-copy:${randomUUID().slice(0, 8)}`;
    const [repo, tag] = image.split(':');
    await docker.getImage(TASK_IMAGE).tag({ repo, tag });
    const uncached = createDockerDriver({ executorId, cacheImages: false });
    const spec = makeSpec({ dir: join(dir, 'uncached'), executorId, kind: 'task', executable: { type: 'DOCKER', url: image, dockerPullTimeout: { count: 5, unit: 'seconds' } } });
    await uncached.prepare(spec, never);
    const handle = await uncached.start(spec, never);
    expect(await uncached.wait(handle, never)).toEqual({ exitCode: 0 });
    await uncached.destroy(handle);
    await expect(docker.getImage(image).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(docker.getImage(TASK_IMAGE).inspect()).resolves.toBeTruthy();
    await uncached.close();
  });

  it('refuses an image that does not exist with a readable prepare error', async () => {
    const spec = makeSpec({ dir: join(dir, 'noimage'), executorId, executable: { type: 'DOCKER', url: 'corral-test/does-not-exist:1', dockerPullTimeout: { count: 20, unit: 'seconds' } } });
    const error = await driver.prepare(spec, never).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(DockerDriverError);
    expect((error as DockerDriverError).code).toBe('IMAGE_PULL_FAILED');
    expect((error as Error).message).toMatch(/^could not pull image corral-test\/does-not-exist:1: /);
  });

  it('refuses a volume whose host path does not exist, before creating anything', async () => {
    const spec = makeSpec({
      dir: join(dir, 'novolume'), executorId, kind: 'task',
      volumes: [{ pathOnHost: join(dir, 'missing-dir'), pathInContainer: '/data', mode: 'READ_ONLY' }],
      configFiles: [{ localFilename: '/etc/x.conf', hostPath: join(dir, 'missing.conf') }],
    });
    const error = await driver.start(spec, never).then(() => undefined, (e: unknown) => e);
    expect((error as DockerDriverError).code).toBe('INVALID_SPEC');
    expect((error as Error).message).toContain(`volume host path ${join(dir, 'missing-dir')} does not exist on this executor`);
    expect((error as Error).message).toContain(`config file for /etc/x.conf was not written to ${join(dir, 'missing.conf')}`);
  });

  it('fails readably when the host port is already in use, and leaves no container', async () => {
    const port = await freePort();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '0.0.0.0', resolve));
    try {
      const spec = makeSpec({ dir: join(dir, 'busyport'), executorId, ports: [{ name: 'main', containerPort: 8000, hostPort: port, type: 'HTTP' }] });
      const error = await driver.start(spec, never).then(() => undefined, (e: unknown) => e);
      expect((error as DockerDriverError).code).toBe('CONTAINER_START_FAILED');
      expect((error as Error).message).toContain(`could not start container for ${spec.instanceId}: a host port is already in use [host ports ${port} (main)]`);
      expect(await containersOf(executorId)).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('replaces a leftover container of the same instance (an interrupted earlier start)', async () => {
    const spec = makeSpec({ dir: join(dir, 'leftover'), executorId, kind: 'task', args: ['exit 9'] });
    const firstTry = await driver.start(spec, never);
    await driver.wait(firstTry, never);
    const secondTry = await driver.start(spec, never);
    expect(secondTry.state.containerId).not.toBe(firstTry.state.containerId);
    expect(await driver.wait(secondTry, never)).toEqual({ exitCode: 9 });
    await driver.destroy(secondTry);
    await driver.destroy(firstTry);
  });

  it('runs unpinned (with a logged note) when the allocated cores are not on this host', async () => {
    const spec = makeSpec({ dir: join(dir, 'cores'), executorId, kind: 'task', args: ['exit 0'], allocation: { numaNode: '0', cores: [250], memoryMB: 32 } });
    const handle = await driver.start(spec, never);
    expect(await driver.wait(handle, never)).toEqual({ exitCode: 0 });
    const info = await docker.getContainer(String(handle.state.containerId)).inspect();
    expect(info.HostConfig.CpusetCpus ?? '').toBe('');
    await driver.destroy(handle);
  });
});

describeWithEngine('docker driver: engine reachability', () => {
  it('is unavailable when the engine does not answer', async () => {
    const socketDir = await tempDir('nosock');
    await mkdir(socketDir, { recursive: true });
    expect(await createDockerDriver({ dockerHost: `unix://${join(socketDir, 'none.sock')}`, pingTimeoutMs: 500 }).available()).toBe(false);
    expect(await createDockerDriver({ dockerHost: `tcp://127.0.0.1:${await freePort()}`, pingTimeoutMs: 500 }).available()).toBe(false);
    await removeDir(socketDir);
  });
});
