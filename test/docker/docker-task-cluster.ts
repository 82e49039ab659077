/**
 * A real controller (in-process, task module) and a real `corral executor` child process whose
 * docker driver runs containers on the engine, for end-to-end tests of DOCKER tasks. Registers
 * its own `beforeAll`/`afterAll`: call it at the top of a `describeWithEngine` block. After the
 * file, every container the executor started is removed, whatever the tests left.
 *
 *   const cluster = useDockerTaskCluster('MY_APP', { name: 'my-e2e' });
 *   await cluster.create(cluster.task('t1', 'echo hi'));
 */
import { afterAll, beforeAll, expect } from 'vitest';
import type { ControllerConfig } from '../../src/controller/config.ts';
import { createTaskModule } from '../../src/controller/tasks/task-module.ts';
import type { ApiClient } from '../helpers/api-client.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor, type TestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createBody } from '../tasks/task-fixtures.ts';
import { TASK_IMAGE, containersOf, docker, requireEngineAndImages } from './docker-test-env.ts';

export interface DockerTaskClusterOptions {
  /** The executor's name. */
  name: string;
  hostname?: string;
  config?: Partial<ControllerConfig>;
}

export interface DockerTaskCluster {
  readonly controller: TestController;
  /** Replaced when a test restarts it (`cluster.executor = await cluster.executor.restart()`). */
  executor: TestExecutor;
  admin(): ApiClient;
  /** A task spec of `app` running `script` in the test task image (`sh -c script`). */
  task(taskId: string, script: string, extra?: Record<string, unknown>): Record<string, unknown>;
  /** Submits a CREATE and expects it accepted. */
  create(spec: Record<string, unknown>): Promise<void>;
  /** The task's output.log through the log API ('' while there is none). */
  logText(taskId: string): Promise<string>;
  /** The runner removes a finished task's container while deprovisioning: polls until none is left. */
  expectNoContainers(): Promise<void>;
}

export function useDockerTaskCluster(app: string, options: DockerTaskClusterOptions): DockerTaskCluster {
  let controller: TestController | undefined;
  const cluster: DockerTaskCluster = {
    get controller() {
      if (!controller) throw new Error('the docker task cluster is not started yet');
      return controller;
    },
    executor: undefined as unknown as TestExecutor,
    admin: () => cluster.controller.api(),
    task: (taskId, script, extra = {}) => ({
      sourceAppName: app,
      taskId,
      executable: { type: 'DOCKER', url: TASK_IMAGE, dockerPullTimeout: '30 seconds' },
      resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
      args: [script],
      ...extra,
    }),
    async create(spec) {
      const res = await cluster.admin().post('/apis/v1/tasks/operations', createBody(spec));
      expect(res.body, JSON.stringify(res.body)).toMatchObject({ status: 'SUCCESS' });
    },
    async logText(taskId) {
      const res = await cluster.admin().get(`/apis/v1/logfiles/tasks/${app}/${taskId}/read/output.log?offset=0&length=65536`);
      return res.status === 200 ? res.body.data : '';
    },
    async expectNoContainers() {
      await waitFor(async () => (await containersOf(cluster.executor.executorId)).length === 0, { timeoutMs: 10_000, message: 'no container left for the executor' });
    },
  };

  beforeAll(async () => {
    await requireEngineAndImages();
    controller = await startTestController({ modules: [createTaskModule], config: { killTimeoutMs: 2_000, ...options.config } });
    cluster.executor = await startTestExecutor(controller.url, {
      secret: controller.config.clusterSecret, cores: 2, memoryMb: 2048, name: options.name, ...(options.hostname ? { hostname: options.hostname } : {}),
      extraArgs: ['--stats-interval', '500'],
    });
  });
  afterAll(async () => {
    await stopAllTestProcesses();
    const left = await containersOf(cluster.executor?.executorId ?? 'none');
    await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  });
  return cluster;
}
