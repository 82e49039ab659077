/**
 * RSYSLOG logging through the executor agent (FakeController, real processes, real UDP and
 * TCP syslog receivers): each line a PROCESS task writes, stdout and stderr, reaches the server
 * with the instance's tag and the executor's hostname, and output.log still has it; servers
 * that are down, unresolvable or unparsable never fail the task; an executor restart resumes
 * shipping where it stopped.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskReport } from '../../src/api/channel-protocol.ts';
import type { LoggingSpec } from '../../src/api/spec-types.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { startExecutor, type ExecutorAgent } from '../../src/executor/agent/executor-agent.ts';
import { freePort } from '../helpers/free-port.ts';
import type { SyslogReceiver } from '../helpers/syslog-receiver.ts';
import { startSyslogReceiver } from '../helpers/syslog-receiver.ts';
import { FakeController } from './helpers/fake-controller.ts';
import { startTask, taskSpec } from './helpers/specs.ts';
import { eventually, tempDir } from './helpers/workload-fixtures.ts';

const HOSTNAME = 'exec-ship.local';
let controller: FakeController;
let agent: ExecutorAgent;
let dataDir: string;
let cleanup: () => Promise<void>;
const receivers: SyslogReceiver[] = [];

const stopped = (r: TaskReport) => r.state === 'STOPPED';
const outputOf = (id: string) => readFile(path.join(dataDir, 'workloads', id, 'output.log'), 'utf8');
const start = () => startExecutor({
  controllers: controller.url, secret: controller.secret, dataDir, port: 3111, hostname: HOSTNAME,
  cores: 2, memoryMb: 1024, logger: silentLogger, logShipPollMs: 20,
});

async function receiver(transport: 'udp' | 'tcp'): Promise<SyslogReceiver> {
  const r = await startSyslogReceiver(transport);
  receivers.push(r);
  return r;
}

function rsyslog(server: string, extra: Partial<Extract<LoggingSpec, { type: 'RSYSLOG' }>> = {}): { logging: LoggingSpec } {
  return { logging: { type: 'RSYSLOG', server, ...extra } };
}

beforeAll(async () => {
  ({ dir: dataDir, cleanup } = await tempDir('corral-rsyslog-'));
  controller = await FakeController.start({ snapshotIntervalMs: 60_000 });
  agent = await start();
  await controller.waitFor((m) => m.type === 'snapshot');
});

afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

afterAll(async () => {
  await agent?.stop({ killWorkloads: true });
  await controller?.close();
  await cleanup();
});

describe('RSYSLOG logging of PROCESS tasks', () => {
  it('ships every stdout and stderr line over UDP (host:port) with the tag and hostname, and keeps output.log', async () => {
    const r = await receiver('udp');
    const script = 'echo one; echo two >&2; sleep 0.1; echo "three and more"; printf last';
    const id = startTask(controller, taskSpec('/bin/sh', ['-c', script], rsyslog(`127.0.0.1:${r.port}`, { tagPrefix: 'corral-', tagSuffix: '.out' })));
    const final = await controller.waitForTask(id, stopped);
    expect(final.taskResult).toEqual({ status: 'SUCCESSFUL', exitCode: 0 });
    await r.waitFor((m) => m.length >= 4);
    expect(r.messages.map((m) => m.msg)).toEqual(['one', 'two', 'three and more', 'last']);
    expect(r.malformed).toEqual([]);
    for (const m of r.messages) {
      expect(m).toMatchObject({ facility: 1, severity: 6, version: 1, hostname: HOSTNAME, appName: `corral-${id}.out` });
    }
    expect(await outputOf(id)).toBe('one\ntwo\nthree and more\nlast');
  });

  it('ships over TCP with octet counting (tcp://), lines of a running task as they come', async () => {
    const r = await receiver('tcp');
    const dir = path.join(dataDir, 'gate');
    const script = `echo started; while [ ! -f ${dir} ]; do sleep 0.02; done; echo finished`;
    const id = startTask(controller, taskSpec('/bin/sh', ['-c', script], rsyslog(r.server)));
    await r.waitFor((m) => m.some((x) => x.msg === 'started'));
    expect((await controller.waitForTask(id, (t) => t.state === 'RUNNING')).state).toBe('RUNNING');
    await writeFile(dir, '');
    expect((await controller.waitForTask(id, stopped)).taskResult).toEqual({ status: 'SUCCESSFUL', exitCode: 0 });
    await r.waitFor((m) => m.some((x) => x.msg === 'finished'));
    expect(r.messages.map((m) => [m.appName, m.msg])).toEqual([[id, 'started'], [id, 'finished']]);
    expect(r.malformed).toEqual([]);
  });

  it('leaves a task SUCCESSFUL, its output in output.log, when the server refuses, does not resolve or is unparsable', async () => {
    const closedPort = await freePort();
    const specs = {
      refused: rsyslog(`tcp://127.0.0.1:${closedPort}`),
      unresolvable: rsyslog('udp://no-such-host.invalid:514'),
      unparsable: rsyslog('http://logs.example'),
    };
    const ids = Object.fromEntries(Object.entries(specs).map(([name, extra]) =>
      [name, startTask(controller, taskSpec('/bin/sh', ['-c', `echo ${name}; echo more`], extra))]));
    for (const [name, id] of Object.entries(ids)) {
      const final = await controller.waitForTask(id, stopped);
      expect(final.taskResult, name).toEqual({ status: 'SUCCESSFUL', exitCode: 0 });
      expect(await outputOf(id)).toBe(`${name}\nmore\n`);
    }
    const unparsable = await controller.waitForTask(ids.unparsable, stopped);
    expect(unparsable.events).toContainEqual(expect.objectContaining({ type: 'Log Shipping Disabled', message: expect.stringContaining('is not a syslog address') }));
  });

  it('resumes shipping after an executor restart: lines written while it was down arrive once', async () => {
    const r = await receiver('udp');
    const gate = path.join(dataDir, 'restart-gate');
    const script = `echo before; while [ ! -f ${gate} ]; do sleep 0.02; done; echo while-down; while [ ! -f ${gate}2 ]; do sleep 0.02; done; echo after`;
    const id = startTask(controller, taskSpec('/bin/sh', ['-c', script], rsyslog(r.server)));
    await r.waitFor((m) => m.some((x) => x.msg === 'before'));
    await agent.stop({ killWorkloads: false });
    await writeFile(gate, '');
    await eventually(async () => (await outputOf(id)).includes('while-down'), { what: 'the line written while no executor ran' });
    agent = await start();
    await controller.waitForTask(id, (t) => t.events.some((e) => e.type === 'Recovered'));
    await writeFile(`${gate}2`, '');
    await controller.waitForTask(id, stopped);
    await r.waitFor((m) => m.some((x) => x.msg === 'after'));
    expect(r.messages.map((m) => m.msg)).toEqual(['before', 'while-down', 'after']);
  });
});
