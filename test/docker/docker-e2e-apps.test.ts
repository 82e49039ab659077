/**
 * DOCKER applications end to end: a real controller (in-process, applications module) and a
 * real `corral executor` child process whose docker driver runs the containers on the engine
 * (Podman's socket). Drove's application operations (docs/sources.md#drove-apps) scale an HTTP app 0 → 2 → 0 (with an executor
 * restart in between that must keep the same healthy containers), and Drove's sample app spec
 * goes through HEALTHY, scale, replace, suspend and destroy. No container is left.
 *
 * Deviations from Drove's sample/test_app.json, for this machine: the image is the local
 * corral-test/http:1; check intervals and waitBeforeKill are 1 s instead of 3-5 s; the health
 * path is /health; a second preShutdown hook (CMD) writes a marker into the container's log so
 * the test can see the hooks ran inside the container.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAppModule } from '../../src/controller/apps/app-module.ts';
import { createTaskModule } from '../../src/controller/tasks/task-module.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor, type TestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { HTTP_IMAGE, containersOf, describeWithEngine, docker, requireEngineAndImages } from './docker-test-env.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const OP_SPEC = { timeout: '60s', parallelism: 1, failureStrategy: 'STOP' };
/** About 15 s on an idle machine; generous because CI shares two cores with every other suite. */
const E2E_TIMEOUT_MS = 180_000;
let controller: TestController;
let executor: TestExecutor;
const admin = () => controller.api();

/** Drove's sample app spec (see the file comment for what differs). */
function sampleApp(name: string): Json {
  const check = { type: 'HTTP', protocol: 'HTTP', portName: 'main', path: '/', verb: 'GET', successCodes: [200], payload: '', connectionTimeout: '1 second', insecure: false };
  return {
    name, version: '1', type: 'SERVICE',
    executable: { type: 'DOCKER', url: HTTP_IMAGE, dockerPullTimeout: '100 seconds' },
    exposedPorts: [{ name: 'main', port: 8000, type: 'HTTP' }],
    volumes: [],
    configs: [{ type: 'INLINE', localFilename: '/testfiles/drove.txt', data: Buffer.from('Drove test').toString('base64') }],
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 128 }],
    placementPolicy: { type: 'ANY' },
    healthcheck: { mode: { ...check, path: '/health' }, timeout: '1 second', interval: '1 second', attempts: 3, initialDelay: '0 seconds' },
    readiness: { mode: check, timeout: '1 second', interval: '1 second', attempts: 10, initialDelay: '0 seconds' },
    tags: { superSpecialApp: 'yes_i_am', say_my_name: 'heisenberg' },
    env: { CORES: '8' },
    exposureSpec: { vhost: `${name.toLowerCase()}.local`, portName: 'main', mode: 'ALL' },
    preShutdown: {
      hooks: [check, { type: 'CMD', command: 'echo "preShutdown hook ran in $DROVE_INSTANCE_ID" > /proc/1/fd/1' }],
      waitBeforeKill: '1 second',
    },
  };
}

async function submit(body: Json): Promise<string> {
  const { body: reply } = await admin().post('/apis/v1/applications/operations', body);
  expect(reply, JSON.stringify(reply)).toMatchObject({ status: 'SUCCESS' });
  return reply.data.operationId as string;
}

async function completes(body: Json): Promise<void> {
  const operationId = await submit(body);
  let last: Json | undefined;
  await waitFor(async () => {
    last = (await admin().get(`/apis/v1/operations/${operationId}`)).body.data;
    if (['FAILED', 'CANCELLED', 'TIMED_OUT'].includes(last?.state)) throw new Error(`operation ${body.type} ended ${last?.state}: ${JSON.stringify(last)}`);
    return last?.state === 'COMPLETED';
  }, { timeoutMs: 60_000, intervalMs: 100, message: `${body.type} to complete` }).catch((error: Error) => {
    throw new Error(`${error.message}\nlast: ${JSON.stringify(last)}\nexecutor output:\n${executor.output()}`);
  });
}

async function instances(appId: string): Promise<Json[]> {
  return (await admin().get(`/apis/v1/applications/${appId}/instances`)).body.data ?? [];
}

async function healthy(appId: string, count: number): Promise<Json[]> {
  return waitFor(async () => {
    const list = await instances(appId);
    return list.length === count && list.every((i) => i.state === 'HEALTHY') ? list : undefined;
  }, { timeoutMs: 30_000, intervalMs: 100, message: `${count} HEALTHY instances of ${appId}` });
}

async function runningContainers(): Promise<Map<string, string>> {
  const list = await containersOf(executor.executorId);
  return new Map(list.filter((c) => c.State === 'running').map((c) => [c.Labels['corral.instance-id'], c.Id]));
}

async function noContainersLeft(): Promise<void> {
  await waitFor(async () => (await containersOf(executor.executorId)).length === 0, { timeoutMs: 15_000, message: 'no container left for the executor' });
}

async function httpStatus(instance: Json, path: string): Promise<number> {
  const port = instance.localInfo.ports.main.hostPort as number;
  return (await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2_000) })).status;
}

describeWithEngine('DOCKER applications through a real controller and executor', () => {
  beforeAll(async () => {
    await requireEngineAndImages();
    controller = await startTestController({
      // The task module brings the log-file routes along.
      modules: [createTaskModule, (ctx) => createAppModule(ctx, { reconcileIntervalMs: 1_000, recoverBackoffMs: 500 })],
      config: { executorLostAfterMs: 5_000, snapshotIntervalMs: 1_000, killTimeoutMs: 3_000 },
    });
    // Four cores advertised on a two-core machine, so a rolling replace has room; instances on
    // cores 2 and 3 run unpinned (the driver logs a note).
    executor = await startTestExecutor(controller.url, { secret: controller.config.clusterSecret, cores: 4, memoryMb: 4096, name: 'docker-apps' });
  });
  afterAll(async () => {
    await stopAllTestProcesses();
    const left = await containersOf(executor?.executorId ?? 'none');
    await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  });

  it('scales an HTTP app 0 → 2 → 0 with Drove\'s application operations, keeping its containers over an executor restart', async () => {
    const spec = { ...sampleApp('SCALE_APP'), preShutdown: undefined };
    const appId = 'SCALE_APP-1';
    await completes({ type: 'CREATE', spec, opSpec: OP_SPEC });
    expect((await instances(appId))).toEqual([]);

    await completes({ type: 'SCALE', appId, requiredInstances: 2, opSpec: { ...OP_SPEC, parallelism: 2 } });
    const two = await healthy(appId, 2);
    for (const instance of two) expect(await httpStatus(instance, '/health')).toBe(200);
    const containers = await runningContainers();
    expect([...containers.keys()].sort()).toEqual(two.map((i) => i.instanceId).sort());

    executor = await executor.restart();
    // The restarted executor recovers both containers: same instances, same containers, still
    // serving. (The SCALE to 0 below can only remove them through handles it recovered.)
    const after = await healthy(appId, 2);
    expect(after.map((i) => i.instanceId).sort()).toEqual(two.map((i) => i.instanceId).sort());
    expect(await runningContainers()).toEqual(containers);
    for (const instance of after) expect(await httpStatus(instance, '/health')).toBe(200);

    await completes({ type: 'SCALE', appId, requiredInstances: 0, opSpec: { ...OP_SPEC, parallelism: 2 } });
    expect(await instances(appId)).toEqual([]);
    expect((await admin().get(`/apis/v1/applications/${appId}`)).body.data).toMatchObject({ state: 'MONITORING' });
    await noContainersLeft();
    await completes({ type: 'DESTROY', appId, opSpec: OP_SPEC });
  }, E2E_TIMEOUT_MS);

  it('runs Drove\'s sample app: HEALTHY, exposed, scaled, replaced (preShutdown hooks), suspended and destroyed', async () => {
    const appId = 'TEST_APP-1';
    await completes({ type: 'CREATE', spec: sampleApp('TEST_APP'), opSpec: OP_SPEC });
    await completes({ type: 'START_INSTANCES', appId, instances: 1, opSpec: OP_SPEC });
    const [first] = await healthy(appId, 1);
    expect(first.localInfo.ports.main).toMatchObject({ containerPort: 8000, portType: 'HTTP' });
    expect(await httpStatus(first, '/')).toBe(200);

    // The INLINE config is in the container, and Drove's environment too.
    const containerId = (await runningContainers()).get(first.instanceId)!;
    const exec = await docker.getContainer(containerId).exec({ Cmd: ['sh', '-c', 'cat /testfiles/drove.txt; echo; echo "$CORES $DROVE_APP_ID $PORT_8000"'], AttachStdout: true, AttachStderr: true });
    const output = (await new Promise<Buffer>((resolve, reject) => {
      exec.start({ hijack: true, stdin: false }, (error, stream) => {
        if (error || !stream) return reject(error ?? new Error('no exec stream'));
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => resolve(Buffer.concat(chunks)));
      });
    })).toString('latin1');
    expect(output).toContain('Drove test');
    expect(output).toContain(`8 ${appId} ${first.localInfo.ports.main.hostPort}`);

    const endpoints = (await admin().get('/apis/v1/endpoints')).body.data as Json[];
    expect(endpoints.find((e) => e.appId === appId)).toMatchObject({
      vhost: 'test_app.local', tags: { superSpecialApp: 'yes_i_am' },
      hosts: [{ port: first.localInfo.ports.main.hostPort, portType: 'HTTP' }],
    });

    await completes({ type: 'SCALE', appId, requiredInstances: 2, opSpec: OP_SPEC });
    const two = await healthy(appId, 2);

    await completes({ type: 'REPLACE_INSTANCES', appId, instanceIds: [], opSpec: OP_SPEC });
    const replaced = await healthy(appId, 2);
    const oldIds = two.map((i) => i.instanceId);
    expect(replaced.some((i) => oldIds.includes(i.instanceId))).toBe(false);
    for (const instance of replaced) expect(await httpStatus(instance, '/health')).toBe(200);
    expect([...(await runningContainers()).keys()].sort()).toEqual(replaced.map((i) => i.instanceId).sort());
    // The replaced instances ran their preShutdown hooks inside their containers before stopping.
    for (const instanceId of oldIds) {
      const log = await admin().get(`/apis/v1/logfiles/applications/${appId}/${instanceId}/read/output.log?offset=0&length=65536`);
      expect(log.status, `log of ${instanceId}`).toBe(200);
      expect(log.body.data).toContain(`preShutdown hook ran in ${instanceId}`);
    }

    await completes({ type: 'SUSPEND', appId, opSpec: OP_SPEC });
    expect(await instances(appId)).toEqual([]);
    await noContainersLeft();
    await completes({ type: 'DESTROY', appId, opSpec: OP_SPEC });
    const gone = await admin().get(`/apis/v1/applications/${appId}`);
    expect(gone.body.status).not.toBe('SUCCESS');
    await noContainersLeft();
  }, E2E_TIMEOUT_MS);
});
