/**
 * Parts of the docker driver that need no engine: endpoint resolution, the log frame and
 * timestamp parsing behind exact log resumption, the create request built from a spec, and
 * the pull timeout / abort paths and waiting through engine failures. The last ones talk to a
 * fake engine on a unix socket, because a registry that hangs or an engine that fails on
 * demand cannot run here; the fake answers only the calls those paths make.
 */
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/common/logger.ts';
import { buildCreateOptions, containerName } from '../../src/executor/drivers/docker/container-config.ts';
import { PODMAN_SOCKET, DOCKER_SOCKET, parseDockerHost, resolveDockerEndpoint } from '../../src/executor/drivers/docker/docker-endpoint.ts';
import { createDockerDriver } from '../../src/executor/drivers/docker/docker-driver.ts';
import { FrameParser, ResumeFilter, splitTimestamp } from '../../src/executor/drivers/docker/log-frames.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { makeSpec, removeDir, tempDir } from './docker-test-env.ts';

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('docker endpoint', () => {
  it('prefers DOCKER_HOST, then docker.sock, then podman.sock', () => {
    expect(resolveDockerEndpoint({ env: { DOCKER_HOST: 'tcp://10.0.0.1:2375' }, exists: () => true })).toEqual({ description: 'tcp://10.0.0.1:2375', options: undefined });
    expect(resolveDockerEndpoint({ env: {}, exists: (p) => p === DOCKER_SOCKET }).options).toEqual({ socketPath: DOCKER_SOCKET });
    expect(resolveDockerEndpoint({ env: {}, exists: (p) => p === PODMAN_SOCKET }).options).toEqual({ socketPath: PODMAN_SOCKET });
    expect(resolveDockerEndpoint({ env: {}, exists: () => false }).options).toEqual({ socketPath: DOCKER_SOCKET });
    expect(resolveDockerEndpoint({ dockerHost: 'unix:///x.sock', env: { DOCKER_HOST: 'tcp://a:1' } }).options).toEqual({ socketPath: '/x.sock' });
  });

  it('parses DOCKER_HOST forms and rejects nonsense readably', () => {
    expect(parseDockerHost('tcp://127.0.0.1:2375')).toEqual({ host: '127.0.0.1', port: 2375, protocol: 'http' });
    expect(parseDockerHost('https://engine.local')).toEqual({ host: 'engine.local', port: 2376, protocol: 'https' });
    expect(parseDockerHost('/run/podman/podman.sock')).toEqual({ socketPath: '/run/podman/podman.sock' });
    expect(() => parseDockerHost('unix://relative.sock')).toThrow('must be absolute');
    expect(() => parseDockerHost('ftp://x')).toThrow('expected unix:///path/to/socket or tcp://host:port');
  });
});

describe('docker log frames', () => {
  it('splits multiplexed frames whatever the chunking', () => {
    const bytes = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err\n'), frame(1, 'out two\n')]);
    const parser = new FrameParser();
    const frames = [];
    for (let i = 0; i < bytes.length; i += 5) frames.push(...parser.push(bytes.subarray(i, i + 5)));
    expect(frames.map((f) => [f.stream, f.payload.toString()])).toEqual([[1, 'out one\n'], [2, 'err\n'], [1, 'out two\n']]);
  });

  it('separates engine timestamps of any precision', () => {
    expect(splitTimestamp(Buffer.from('2026-11-22T04:16:36Z line 1\n'))).toEqual({ tsNanos: 1795320996000000000n, text: Buffer.from('line 1\n') });
    expect(splitTimestamp(Buffer.from('2026-11-22T04:16:36.000000123Z x\n')).tsNanos).toBe(1795320996000000123n);
    expect(splitTimestamp(Buffer.from('2026-11-22T05:16:36.5+01:00 x\n')).tsNanos).toBe(1795320996500000000n);
    expect(splitTimestamp(Buffer.from('no stamp\n'))).toEqual({ text: Buffer.from('no stamp\n') });
  });

  it('resumes exactly: skips older lines and the lines already written at the cursor second', () => {
    const filter = new ResumeFilter({ tsNanos: 20n, count: 2 });
    expect([10n, 20n, 20n, 20n, 30n, 30n].map((ts) => filter.accept(ts))).toEqual([false, false, false, true, true, true]);
    expect(filter.position).toEqual({ tsNanos: 30n, count: 2 });
    filter.resume();
    expect([20n, 30n, 30n, 30n].map((ts) => filter.accept(ts))).toEqual([false, false, false, true]);
  });
});

describe('docker create request', () => {
  it('maps a spec onto the engine request', () => {
    const spec = makeSpec({
      dir: '/srv/w', executorId: 'ex-1', instanceId: 'AI-1/x', args: ['--mode', 'server'], env: { A: '1' },
      ports: [{ name: 'http', containerPort: 8080, hostPort: 31000, type: 'HTTP' }, { name: 'dns', containerPort: 53, hostPort: 31001, type: 'UDP' }],
      volumes: [{ pathOnHost: '/mnt/a', pathInContainer: '/a', mode: 'READ_ONLY' }],
      configFiles: [{ localFilename: '/etc/app.yml', hostPath: '/srv/w/configs/0' }],
      allocation: { numaNode: '0', cores: [2, 3], memoryMB: 512 },
      userSpec: { user: 'app', group: 'staff' },
      logging: { type: 'LOCAL', maxSize: '5m', maxFiles: 2, compress: true },
    });
    const create = buildCreateOptions(spec, { executorId: 'ex-1', pinCpus: true });
    expect(create.name).toBe(containerName('AI-1/x'));
    expect(create.name).toBe('corral-AI-1-x');
    expect(create).toMatchObject({ Image: 'corral-test/http:1', Cmd: ['--mode', 'server'], Env: ['A=1'], User: 'app:staff' });
    expect(create.ExposedPorts).toEqual({ '8080/tcp': {}, '53/udp': {} });
    expect(create.HostConfig).toMatchObject({
      Memory: 512 * 1024 * 1024, MemorySwap: 512 * 1024 * 1024, CpusetCpus: '2-3', CpusetMems: '0',
      PortBindings: { '8080/tcp': [{ HostPort: '31000' }], '53/udp': [{ HostPort: '31001' }] },
      Binds: ['/mnt/a:/a:ro', '/srv/w/configs/0:/etc/app.yml:ro'],
      LogConfig: { Type: 'json-file', Config: { 'max-size': '5m', 'max-file': '2' } },
    });
    expect(create.Labels).toMatchObject({ 'corral.instance-id': 'AI-1/x', 'corral.kind': 'instance', 'corral.executor-id': 'ex-1', 'corral.managed': 'true' });
    expect(JSON.parse(create.Labels!['corral.spec'])).toMatchObject({ instanceId: 'AI-1/x', logDir: '/srv/w/logs', image: 'corral-test/http:1' });
    const plain = buildCreateOptions(makeSpec({ dir: '/w', executorId: 'e' }), { pinCpus: false });
    expect(plain.Cmd).toBeUndefined();
    expect(plain.HostConfig?.CpusetCpus).toBeUndefined();
    expect(plain.HostConfig?.CpusetMems).toBeUndefined();
    // Shared cores (over-provisioning, more cores than the host has): every offered CPU, every node's memory.
    const shared = buildCreateOptions(spec, { pinCpus: true, placement: { cpus: [0, 1, 2, 3, 5], mems: [0, 1] } });
    expect(shared.HostConfig).toMatchObject({ CpusetCpus: '0-3,5', CpusetMems: '0-1' });
    expect(plain.User).toBeUndefined();
  });
});

describe('docker driver against a fake engine (pull timeout, abort, engine failures)', () => {
  let dir: string;
  let server: http.Server;
  let socketPath: string;
  let brokenInspects = 0;

  beforeAll(async () => {
    dir = await tempDir('fake-engine');
    socketPath = join(dir, 'engine.sock');
    // Knows no image; a pull never makes progress (a registry that hangs).
    server = http.createServer((request, response) => {
      if (request.url?.includes('/containers/broken/')) {
        // An engine in trouble: every container call fails with a 500.
        if (request.url.includes('/containers/broken/json')) brokenInspects += 1;
        response.writeHead(500, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ message: 'engine trouble' }));
        return;
      }
      if (request.url?.includes('/containers/oomed/')) {
        // A container the kernel killed for its memory, as Docker reports it (Podman 4.3 on this
        // cgroup v1 host leaves OOMKilled false, so the real-engine test cannot show this part).
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify(request.url.includes('/wait') ? { StatusCode: 137 }
          : { Id: 'oomed', State: { Running: false, OOMKilled: true, ExitCode: 137 }, HostConfig: { Memory: 64 * 1024 * 1024 } }));
        return;
      }
      if (request.url?.includes('/images/create')) {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.write(JSON.stringify({ status: 'Pulling from corral-test/slow' }) + '\n');
        return;
      }
      response.writeHead(404, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ message: 'no such image' }));
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await removeDir(dir);
  });

  it('fails a pull that outlives dockerPullTimeout with a readable message', async () => {
    const driver = createDockerDriver({ dockerHost: `unix://${socketPath}`, logger: silentLogger });
    const spec = makeSpec({ dir, executorId: 'e', executable: { type: 'DOCKER', url: 'corral-test/slow:1', dockerPullTimeout: { count: 300, unit: 'milliseconds' } } });
    const started = performance.now();
    await expect(driver.prepare(spec, new AbortController().signal)).rejects.toMatchObject({
      code: 'IMAGE_PULL_TIMEOUT',
      message: 'pulling image corral-test/slow:1 did not finish within its dockerPullTimeout of 300 ms',
    });
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('stops a pull when the runner aborts', async () => {
    const driver = createDockerDriver({ dockerHost: `unix://${socketPath}`, logger: silentLogger });
    const spec = makeSpec({ dir, executorId: 'e', executable: { type: 'DOCKER', url: 'corral-test/slow:1', dockerPullTimeout: { count: 60, unit: 'seconds' } } });
    const controller = new AbortController();
    const pulling = driver.prepare(spec, controller.signal);
    setTimeout(() => controller.abort(), 100);
    await expect(pulling).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('keeps waiting (no made-up exit) while the engine fails, until aborted', async () => {
    const driver = createDockerDriver({ dockerHost: `unix://${socketPath}`, logger: silentLogger });
    const controller = new AbortController();
    const before = brokenInspects;
    const waiting = driver.wait({ driver: 'DOCKER', state: { containerId: 'broken', logDir: dir } }, controller.signal);
    let settled = false;
    waiting.then(() => (settled = true), () => (settled = true));
    await waitFor(() => brokenInspects >= before + 2, { message: 'the driver to ask the failing engine twice' });
    expect(settled).toBe(false);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('says a container the engine reports OOMKilled was killed for its memory, with its limit', async () => {
    const driver = createDockerDriver({ dockerHost: `unix://${socketPath}`, logger: silentLogger });
    const exit = await driver.wait({ driver: 'DOCKER', state: { containerId: 'oomed', logDir: dir } }, new AbortController().signal);
    expect(exit).toMatchObject({ exitCode: 137, oom: { limitMb: 64 } });
  });

  it('refuses a non-DOCKER executable readably', async () => {
    const driver = createDockerDriver({ dockerHost: `unix://${socketPath}`, logger: silentLogger });
    const spec = makeSpec({ dir, executorId: 'e', executable: { type: 'PROCESS', command: '/bin/true' } });
    await expect(driver.prepare(spec, new AbortController().signal)).rejects.toMatchObject({ code: 'INVALID_SPEC', message: 'the docker driver runs DOCKER executables, not PROCESS' });
  });
});
