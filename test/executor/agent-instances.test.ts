/**
 * App instances on the process driver against a real little HTTP server process: port
 * allocation, readiness then health checks to HEALTHY, stop with preShutdown hooks and
 * waitBeforeKill, readiness failure, a health check turning bad (CMD mode).
 */
import http from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceReport } from '../../src/api/channel-protocol.ts';
import { duration } from '../../src/common/durations.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { startExecutor, type ExecutorAgent } from '../../src/executor/agent/executor-agent.ts';
import { FakeController } from './helpers/fake-controller.ts';
import { appSpec, check, httpMode, startInstance } from './helpers/specs.ts';
import { eventually, survivors, tempDir } from './helpers/workload-fixtures.ts';

const SERVER = `
const http = require('http'); const fs = require('fs');
fs.writeFileSync('pid', String(process.pid));
http.createServer((req, res) => {
  if (req.url === '/ready') return res.writeHead(fs.existsSync('not-ready') ? 503 : 200).end('ready');
  if (req.url === '/health') return res.writeHead(200).end('ok');
  if (req.url === '/drain' && req.method === 'POST') { fs.appendFileSync('hooks.log', 'drain\\n'); return res.writeHead(204).end(); }
  res.writeHead(404).end('nope');
}).listen(Number(process.env.PORT_8080), () => console.log('listening on ' + process.env.PORT_8080 + ' as ' + process.env.DROVE_APP_ID));
process.on('SIGTERM', () => { fs.appendFileSync('hooks.log', 'sigterm\\n'); process.exit(0); });
`;

let controller: FakeController;
let agent: ExecutorAgent;
let dataDir: string;
let cleanup: () => Promise<void>;
const stopped = (r: InstanceReport) => r.state === 'STOPPED';
const workDir = (id: string) => path.join(dataDir, 'workloads', id, 'work');

beforeAll(async () => {
  ({ dir: dataDir, cleanup } = await tempDir('corral-instances-'));
  controller = await FakeController.start();
  agent = await startExecutor({
    controllers: controller.url, secret: controller.secret, dataDir, port: 3400, hostname: 'exec-i.local', logger: silentLogger,
    preShutdownTimings: { httpAttempts: 2, httpRetryMs: 50, httpBudgetMs: 2_000, attemptTimeoutMs: 1_000 },
  });
  await controller.waitFor((m) => m.type === 'snapshot');
});

afterAll(async () => {
  await agent.stop({ killWorkloads: true });
  await controller.close();
  await cleanup();
});

function get(port: number, urlPath: string): Promise<number> {
  return new Promise((resolve, reject) => http.get({ host: '127.0.0.1', port, path: urlPath }, (res) => {
    res.resume();
    resolve(res.statusCode ?? 0);
  }).once('error', reject));
}

describe('app instances', () => {
  it('becomes HEALTHY through HTTP readiness and health checks, and stops through its preShutdown hooks', async () => {
    const spec = appSpec(process.execPath, ['-e', SERVER], {
      preShutdown: {
        hooks: [
          httpMode('/missing'),
          httpMode('/drain', { verb: 'POST', successCodes: [204] }),
          { type: 'CMD', command: 'echo "cmd $DROVE_INSTANCE_ID" >> hooks.log', shellDisabled: false },
        ],
        waitBeforeKill: duration('300ms'),
      },
    });
    const id = startInstance(controller, spec);
    const healthy = await controller.waitForInstance(id, (r) => r.state === 'HEALTHY');
    expect(healthy).toMatchObject({ appId: 'web-1', appName: 'web', errorMessage: '' });
    const hostPort = healthy.localInfo!.ports.http.hostPort;
    expect(healthy.localInfo).toEqual({ hostname: 'exec-i.local', ports: { http: { containerPort: 8080, hostPort, portType: 'HTTP' } } });
    expect(await get(hostPort, '/health')).toBe(200);
    expect(await readFile(path.join(dataDir, 'workloads', id, 'output.log'), 'utf8')).toBe(`listening on ${hostPort} as web-1\n`);
    const pid = Number(await readFile(path.join(workDir(id), 'pid'), 'utf8'));

    controller.send({ type: 'stopInstance', instanceId: id, mode: 'GRACEFUL', reason: 'scale down' });
    const stopping = await controller.waitForInstance(id, (r) => r.state === 'STOPPING');
    const final = await controller.waitForInstance(id, stopped);
    expect(final.updated - stopping.updated).toBeGreaterThanOrEqual(300);
    expect(controller.statesOf(id)).toEqual(['PENDING', 'PROVISIONING', 'STARTING', 'UNREADY', 'READY', 'HEALTHY', 'STOPPING', 'DEPROVISIONING', 'STOPPED']);
    expect(await readFile(path.join(workDir(id), 'hooks.log'), 'utf8')).toBe(`drain\ncmd ${id}\nsigterm\n`);
    expect(final.events.find((e) => e.type === 'Hook Failed')?.message).toMatch(/preShutdown hook 1 \(GET \/missing\) failed, continuing: GET \/missing answered 404/);
    expect(await survivors([pid])).toEqual([]);
    // The port is free again.
    await expect(get(hostPort, '/health')).rejects.toThrow();
  });

  it('fails readiness after its attempts: READINESS_CHECK_FAILED, then stopped', async () => {
    const spec = appSpec(process.execPath, ['-e', SERVER], {
      // Enough attempts for node to start listening; the last ones get the 503.
      readiness: check(httpMode('/ready'), { attempts: 20, interval: '50ms' }),
      configs: [{ type: 'INLINE', localFilename: '/not-ready', data: Buffer.from('x').toString('base64') }],
    });
    const id = startInstance(controller, spec);
    const final = await controller.waitForInstance(id, stopped);
    expect(controller.statesOf(id)).toEqual(['PENDING', 'PROVISIONING', 'STARTING', 'UNREADY', 'READINESS_CHECK_FAILED', 'DEPROVISIONING', 'STOPPED']);
    expect(final.errorMessage).toMatch(/^Readiness check failed 20 time\(s\); last: GET \/ready answered 503 \(expected one of 200\)$/);
    expect(await survivors([Number(await readFile(path.join(workDir(id), 'pid'), 'utf8'))])).toEqual([]);
  });

  it('turns UNHEALTHY after consecutive CMD health check failures and is stopped', async () => {
    const spec = appSpec(process.execPath, ['-e', SERVER], {
      healthcheck: check({ type: 'CMD', command: 'test ! -f sick', shellDisabled: false }, { attempts: 2, interval: '50ms' }),
    });
    const id = startInstance(controller, spec);
    await controller.waitForInstance(id, (r) => r.state === 'HEALTHY');
    await writeFile(path.join(workDir(id), 'sick'), '');
    const final = await controller.waitForInstance(id, stopped);
    expect(controller.statesOf(id).slice(-4)).toEqual(['HEALTHY', 'UNHEALTHY', 'DEPROVISIONING', 'STOPPED']);
    expect(final.errorMessage).toBe('Health check failed 2 time(s) in a row; last: command exited 1');
  });

  it('an instance whose process dies is reported and cleaned up', async () => {
    const spec = appSpec(process.execPath, ['-e', `${SERVER}; setTimeout(() => { if (require('fs').existsSync('die')) process.exit(9); }, 0); setInterval(() => { if (require('fs').existsSync('die')) process.exit(9); }, 20);`]);
    const id = startInstance(controller, spec);
    await controller.waitForInstance(id, (r) => r.state === 'HEALTHY');
    await writeFile(path.join(workDir(id), 'die'), '');
    const final = await controller.waitForInstance(id, stopped);
    expect(controller.statesOf(id).slice(-4)).toEqual(['HEALTHY', 'UNHEALTHY', 'DEPROVISIONING', 'STOPPED']);
    expect(final.errorMessage).toBe('Instance process exited unexpectedly: exit code 9');
  });

  it('an instance stopped before it is ready skips nothing it owes: STOPPING → DEPROVISIONING → STOPPED', async () => {
    const spec = appSpec(process.execPath, ['-e', SERVER], {
      readiness: check(httpMode('/ready'), { initialDelay: '30s' }),
    });
    const id = startInstance(controller, spec);
    await controller.waitForInstance(id, (r) => r.state === 'UNREADY');
    controller.send({ type: 'stopInstance', instanceId: id, mode: 'FORCE', reason: 'cancelled deploy' });
    await controller.waitForInstance(id, stopped);
    expect(controller.statesOf(id).slice(-4)).toEqual(['UNREADY', 'STOPPING', 'DEPROVISIONING', 'STOPPED']);
    await eventually(() => agent.snapshot().instances.find((i) => i.instanceId === id)?.state === 'STOPPED');
  });

  it('survives an executor restart: the new agent re-attaches, re-checks and can stop it', async () => {
    const own = await FakeController.start();
    const { dir, cleanup: clean } = await tempDir('corral-instances-restart-');
    const options = { controllers: own.url, secret: own.secret, dataDir: dir, port: 3402, logger: silentLogger };
    try {
      const first = await startExecutor(options);
      await own.waitFor((m) => m.type === 'snapshot');
      const id = startInstance(own, appSpec(process.execPath, ['-e', SERVER]));
      const healthy = await own.waitForInstance(id, (r) => r.state === 'HEALTHY');
      const pid = Number(await readFile(path.join(dir, 'workloads', id, 'work', 'pid'), 'utf8'));
      await first.stop();
      expect(await survivors([pid])).toEqual([pid]);

      const mark = own.messages.length;
      const second = await startExecutor(options);
      try {
        // Updates or snapshots: a fast restore may be HEALTHY again before the channel is up.
        const since = () => own.messages.slice(mark).flatMap((m) => (m.type === 'instanceUpdate' ? [m.instance] : m.type === 'snapshot' ? m.instances : []))
          .filter((r) => r.instanceId === id).map((r) => r.state);
        await eventually(() => since().includes('HEALTHY'), { what: 'the restored instance to be HEALTHY again' });
        // Restoring happens before the channel is up: the early states travel in the first snapshot.
        const report = second.snapshot().instances.find((r) => r.instanceId === id)!;
        expect(report.localInfo).toEqual(healthy.localInfo);
        expect(report.events.map((e) => e.type)).toEqual(expect.arrayContaining(['Restored', 'Recovering', 'Recovered', 'Ready', 'Healthy']));
        own.send({ type: 'stopInstance', instanceId: id, mode: 'GRACEFUL', reason: 'after restart' });
        await own.waitForInstance(id, stopped);
        expect(await survivors([pid])).toEqual([]);
      } finally {
        await second.stop({ killWorkloads: true });
      }
    } finally {
      await own.close();
      await clean();
    }
  });
});
