/**
 * RSYSLOG logging of DOCKER tasks end to end: a real controller, a real `corral executor` child
 * whose docker driver runs the container on the engine (Podman's socket), and UDP and TCP
 * syslog receivers in the test. The container's stdout and stderr lines reach the server with
 * the task's tag and the executor's hostname, and stay readable through the log API.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SyslogReceiver } from '../helpers/syslog-receiver.ts';
import { startSyslogReceiver } from '../helpers/syslog-receiver.ts';
import { getTask, waitForTaskState } from '../tasks/task-fixtures.ts';
import { describeWithEngine } from './docker-test-env.ts';
import { useDockerTaskCluster } from './docker-task-cluster.ts';

const APP = 'DOCKER_RSYSLOG';
const HOSTNAME = 'rsyslog-exec.local';
const receivers: SyslogReceiver[] = [];

describeWithEngine('RSYSLOG logging of DOCKER tasks', () => {
  const { admin, create, task } = useDockerTaskCluster(APP, { name: 'docker-rsyslog', hostname: HOSTNAME });

  async function runTask(taskId: string, script: string, logging: Record<string, unknown>): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
    await create(task(taskId, script, { logging }));
    await waitForTaskState(admin(), APP, taskId, ['STOPPED', 'LOST'], 30_000);
    return (await getTask(admin(), APP, taskId))!;
  }

  beforeAll(async () => {
    receivers.push(await startSyslogReceiver('udp'), await startSyslogReceiver('tcp'));
  });
  afterAll(async () => {
    for (const r of receivers) await r.close();
  });

  it('ships the container\'s stdout and stderr lines over UDP and TCP, tagged, and keeps them in output.log', async () => {
    for (const [index, r] of receivers.entries()) {
      const taskId = `ship-${index}`;
      const server = index === 0 ? `127.0.0.1:${r.port}` : r.server;
      const task = await runTask(taskId, 'echo "out $DROVE_TASK_ID"; echo "err line" >&2; echo last', { type: 'RSYSLOG', server, tagPrefix: 'drove-' });
      expect(task).toMatchObject({ state: 'STOPPED', taskResult: { status: 'SUCCESSFUL', exitCode: 0 } });
      expect(task.logging).toEqual({ type: 'RSYSLOG', server, tagPrefix: 'drove-' });
      await r.waitFor((m) => m.some((x) => x.msg === 'last'), 15_000);
      // stdout and stderr of a container are interleaved as the engine delivers them.
      expect(r.messages.map((m) => m.msg).sort()).toEqual([`out ${taskId}`, 'err line', 'last'].sort());
      expect(r.malformed).toEqual([]);
      for (const m of r.messages) expect(m).toMatchObject({ facility: 1, severity: 6, hostname: HOSTNAME, appName: `drove-${task.instanceId}` });
      const read = await admin().get(`/apis/v1/logfiles/tasks/${APP}/${taskId}/read/output.log?offset=0&length=65536`);
      expect(read.body.data).toContain(`out ${taskId}\n`);
      expect(read.body.data).toContain('last\n');
    }
  });

  it('leaves a DOCKER task SUCCESSFUL when its syslog server refuses connections', async () => {
    const task = await runTask('refused', 'echo hello', { type: 'RSYSLOG', server: 'tcp://127.0.0.1:1' });
    expect(task).toMatchObject({ state: 'STOPPED', taskResult: { status: 'SUCCESSFUL', exitCode: 0 } });
  });
});
