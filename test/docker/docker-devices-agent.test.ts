/**
 * Drove `devices` through a real executor agent (in this process) and its docker driver on the
 * engine (Podman's socket), driven by a scripted WebSocket controller so every reported state
 * can be checked: a DIRECT device is there inside the container; a missing host device, or a
 * DETAILED request the engine cannot honour, fails the start with the device named and leaves
 * no container; the process driver refuses devices rather than ignore them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { ApplicationSpec } from '../../src/api/app-types.ts';
import type { InstanceReport, TaskReport } from '../../src/api/channel-protocol.ts';
import type { DeviceSpec } from '../../src/api/spec-types.ts';
import type { TaskSpec } from '../../src/api/task-types.ts';
import { duration } from '../../src/common/durations.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { startExecutor, type ExecutorAgent } from '../../src/executor/agent/executor-agent.ts';
import { FakeController } from '../executor/helpers/fake-controller.ts';
import { appSpec, check, httpMode, startInstance, startTask, taskSpec } from '../executor/helpers/specs.ts';
import { tempDir } from '../executor/helpers/workload-fixtures.ts';
import { HTTP_IMAGE, TASK_IMAGE, containersOf, describeWithEngine, expectNoContainers, freePort, requireEngineAndImages } from './docker-test-env.ts';

const MISSING = `/dev/corral-missing-${randomUUID().slice(0, 8)}`;
const NULL_DEVICE: DeviceSpec = { type: 'DIRECT', pathOnHost: '/dev/null', pathInContainer: '/dev/corral-null' };
const stopped = (r: TaskReport | InstanceReport) => r.state === 'STOPPED';

let controller: FakeController;
let agent: ExecutorAgent;
let cleanup: () => Promise<void>;

function dockerTask(script: string, devices: DeviceSpec[]): TaskSpec {
  return taskSpec('unused', [script], { executable: { type: 'DOCKER', url: TASK_IMAGE, dockerPullTimeout: duration('30 seconds') }, devices });
}

/** The runner removes a failed workload's container while deprovisioning: none may be left. */
async function noContainerLeft(): Promise<void> {
  expect(await containersOf(agent.executorId)).toEqual([]);
}

describeWithEngine('devices through the executor agent and the docker driver', () => {
  beforeAll(async () => {
    await requireEngineAndImages();
    let dataDir: string;
    ({ dir: dataDir, cleanup } = await tempDir('corral-devices-agent-'));
    controller = await FakeController.start({ snapshotIntervalMs: 1_000 });
    agent = await startExecutor({
      controllers: controller.url, secret: controller.secret, dataDir, port: await freePort(), hostname: 'devices.local',
      name: 'devices', cores: 2, memoryMb: 1024, logger: silentLogger,
    });
    await controller.waitFor((m) => m.type === 'snapshot');
    expect(controller.hellos[0].executor.drivers).toContain('DOCKER');
  });
  afterEach(async () => noContainerLeft());
  afterAll(async () => {
    await agent?.stop({ killWorkloads: true });
    await controller?.close();
    if (agent) await expectNoContainers(agent.executorId);
    await cleanup?.();
  });

  it('maps a DIRECT device into a task container (/dev/null as /dev/corral-null)', async () => {
    const id = startTask(controller, dockerTask('test -c /dev/corral-null && echo mapped > /dev/corral-null && ! test -e /dev/corral-none', [NULL_DEVICE]));
    const final = await controller.waitForTask(id, stopped, 30_000);
    expect(final.taskResult, final.errorMessage).toEqual({ status: 'SUCCESSFUL', exitCode: 0 });
    expect(controller.statesOf(id)).toEqual(['PENDING', 'PROVISIONING', 'STARTING', 'RUNNING', 'RUN_COMPLETED', 'DEPROVISIONING', 'STOPPED']);
  });

  it('fails a task whose host device is missing with RUN_FAILED, naming the device', async () => {
    const id = startTask(controller, dockerTask('true', [NULL_DEVICE, { type: 'DIRECT', pathOnHost: MISSING, permissions: 'READ_ONLY' }]));
    const final = await controller.waitForTask(id, stopped, 30_000);
    expect(controller.statesOf(id)).toEqual(['PENDING', 'PROVISIONING', 'STARTING', 'RUN_FAILED', 'DEPROVISIONING', 'STOPPED']);
    expect(final.taskResult).toEqual({ status: 'FAILED', exitCode: -1 });
    expect(final.errorMessage).toBe(`invalid container spec for ${id}: device ${MISSING} does not exist on this executor`);
    expect(final.events.find((e) => e.type === 'Driver Failure')?.message).toContain(MISSING);
  });

  it('fails an app instance whose host device is missing with START_FAILED', async () => {
    const spec: ApplicationSpec = appSpec('unused', [], {
      executable: { type: 'DOCKER', url: HTTP_IMAGE, dockerPullTimeout: duration('30 seconds') },
      exposedPorts: [{ name: 'http', port: 8000, type: 'HTTP' }],
      readiness: check(httpMode('/health')), healthcheck: check(httpMode('/health')),
      devices: [{ type: 'DIRECT', pathOnHost: MISSING }],
    });
    const id = startInstance(controller, spec);
    const final = await controller.waitForInstance(id, stopped, 30_000);
    expect(controller.statesOf(id)).toEqual(['PENDING', 'PROVISIONING', 'STARTING', 'START_FAILED', 'DEPROVISIONING', 'STOPPED']);
    expect(final.errorMessage).toContain(`device ${MISSING} does not exist on this executor`);
  });

  it('fails a DETAILED (GPU) request the engine cannot honour readably, leaving no container', async () => {
    const id = startTask(controller, dockerTask('true', [{ type: 'DETAILED', driver: 'nvidia', count: -1, capabilities: [['gpu']] }]));
    const final = await controller.waitForTask(id, stopped, 30_000);
    expect(controller.statesOf(id)).toEqual(['PENDING', 'PROVISIONING', 'STARTING', 'RUN_FAILED', 'DEPROVISIONING', 'STOPPED']);
    // Podman drops the request (our check says so); Docker without the NVIDIA toolkit refuses it at start.
    expect(final.errorMessage).toMatch(new RegExp(`^could not (create|start) container for ${id}.*nvidia`));
  });

  it('refuses devices for a PROCESS task (PROVISIONING_FAILED) instead of ignoring them', async () => {
    const id = startTask(controller, taskSpec('/bin/true', [], { devices: [NULL_DEVICE] }));
    const final = await controller.waitForTask(id, stopped, 30_000);
    expect(controller.statesOf(id)).toEqual(['PENDING', 'PROVISIONING', 'PROVISIONING_FAILED', 'DEPROVISIONING', 'STOPPED']);
    expect(final.errorMessage).toBe('devices are not supported by the process driver (/dev/null); run the workload as a DOCKER executable to map devices');
  });
});
