/**
 * Shared set-up for tests that run real containers through the Docker Engine API (Podman's
 * socket here, made available by .ci/podman-setup.sh).
 *
 * Skipping: a docker test file is skipped only when no engine answers AND `CI` is unset. In CI
 * the setup script must have provided the engine, so there the tests run and fail loudly.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { describe, expect } from 'vitest';
import type { WorkloadStartSpec } from '../../src/executor/drivers/driver.ts';
import { LABELS } from '../../src/executor/drivers/docker/container-config.ts';
import { createDockerClient, resolveDockerEndpoint } from '../../src/executor/drivers/docker/docker-endpoint.ts';

export const HTTP_IMAGE = 'corral-test/http:1';
export const TASK_IMAGE = 'corral-test/task:1';

export const endpoint = resolveDockerEndpoint();
export const docker: Docker = createDockerClient(endpoint);

async function engineAnswers(): Promise<boolean> {
  try {
    await docker.version();
    return true;
  } catch {
    return false;
  }
}

export const engineAvailable = await engineAnswers();

/** `describe` when the engine answers or in CI (where its absence must fail); else `describe.skip`. */
export const describeWithEngine = engineAvailable || process.env.CI ? describe : describe.skip;

/** Throws a readable error when the engine or the test images are missing (CI must not skip). */
export async function requireEngineAndImages(): Promise<void> {
  if (!engineAvailable) throw new Error(`no Docker Engine API answers at ${endpoint.description}; run .ci/podman-setup.sh`);
  for (const image of [HTTP_IMAGE, TASK_IMAGE]) {
    try {
      await docker.getImage(image).inspect();
    } catch {
      throw new Error(`test image ${image} is missing; run .ci/podman-setup.sh`);
    }
  }
}

/** Each test file uses its own executor id so parallel files never see each other's containers. */
export function testExecutorId(name: string): string {
  return `test-${name}-${randomUUID().slice(0, 8)}`;
}

export async function containersOf(executorId: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${LABELS.executorId}=${executorId}`] } });
}

/** Asserts the engine holds no container for this executor (and removes any, so one failure does not leak). */
export async function expectNoContainers(executorId: string): Promise<void> {
  const left = await containersOf(executorId);
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  expect(left.map((c) => `${c.Names.join(',')} ${c.State}`)).toEqual([]);
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `corral-docker-${prefix}-`));
}

export async function removeDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

/** A port nothing listens on right now (the kernel picked it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface SpecInput extends Partial<WorkloadStartSpec> {
  dir: string;
  executorId: string;
}

export function makeSpec(input: SpecInput): WorkloadStartSpec {
  const { dir, executorId, ...overrides } = input;
  const kind = overrides.kind ?? 'instance';
  const instanceId = overrides.instanceId ?? `${kind === 'task' ? 'TI' : 'AI'}-${randomUUID()}`;
  return {
    kind,
    instanceId,
    ownerId: kind === 'task' ? 'docker-tests' : 'docker-tests-1',
    executable: { type: 'DOCKER', url: kind === 'task' ? TASK_IMAGE : HTTP_IMAGE, dockerPullTimeout: { count: 30, unit: 'seconds' } },
    args: [],
    env: { DROVE_INSTANCE_ID: instanceId },
    workDir: dir,
    logDir: join(dir, 'logs'),
    configFiles: [],
    allocation: { numaNode: '0', cores: [0], memoryMB: 64 },
    ports: [],
    volumes: [],
    labels: { [LABELS.executorId]: executorId },
    ...overrides,
  };
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs` with `what`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** GET `http://127.0.0.1:{port}{path}` once the server answers. */
export async function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return eventually(`HTTP answer on port ${port}`, async () => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(1_000) });
    return { status: response.status, body: await response.text() };
  });
}

export async function readLog(spec: WorkloadStartSpec): Promise<string> {
  try {
    return await readFile(join(spec.logDir, 'output.log'), 'utf8');
  } catch {
    return '';
  }
}
