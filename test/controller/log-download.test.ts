/**
 * Log downloads stream in bounded chunks from executor to controller to client, a few at a time
 * per executor (docs/security.md, "Log files"), on a real child controller with a real executor
 * and a task that wrote a 55 MB log. The findings reproduced: a 55 MB log exceeded the channel's
 * frame limit as one base64 frame, dropped the executor's channel and answered 204; six guest
 * downloads of a 45 MB log took controller and executor to ~570 MB each (peak RSS, VmHWM).
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, readdirSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth } from '../helpers/api-client.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor, type TestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';

afterAll(stopAllTestProcesses);

const LOG_BYTES = 55 * 1024 * 1024;
const CONCURRENT = 6;
const GUEST = basicAuth({ user: 'guest', password: 'guest' });
const DOWNLOAD = '/apis/v1/logfiles/tasks/TEST_APP/big/download/output.log';

/** Peak resident memory of a process in MB (Linux `VmHWM`). */
function peakRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024;
}

function get(url: string, pathName: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(pathName, url), { headers: { authorization: GUEST } }, resolve);
    req.on('error', reject);
    req.end();
  });
}

function sha256Of(stream: NodeJS.ReadableStream): Promise<{ hash: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => { hash.update(chunk); bytes += chunk.length; });
    stream.on('end', () => resolve({ hash: hash.digest('hex'), bytes }));
    stream.on('error', reject);
    stream.resume();
  });
}

let controller: TestController;
let executor: TestExecutor;
let expected: { hash: string; bytes: number };

beforeAll(async () => {
  controller = await startTestController({ mode: 'child', config: { maxLogDownloadsPerExecutor: CONCURRENT } });
  executor = await startTestExecutor(controller.url, { secret: controller.config.clusterSecret, cores: 2, killWorkloadsOnExit: true });
  const spec = {
    sourceAppName: 'TEST_APP', taskId: 'big', executable: { type: 'PROCESS', command: '/bin/sh' },
    args: ['-c', `yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c ${LOG_BYTES}`],
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 16 }],
    logging: { type: 'LOCAL', maxSize: '500m', maxFiles: 2, compress: false },
  };
  const opSpec = { timeout: '60 seconds', parallelism: 1, failureStrategy: 'STOP' };
  expect((await controller.api().post('/apis/v1/tasks/operations', { type: 'CREATE', spec, opSpec })).status).toBe(200);
  const task = await waitFor(async () => {
    const data = (await controller.api().get('/apis/v1/tasks/TEST_APP/instances/big')).body.data;
    return data?.state === 'STOPPED' ? data : undefined;
  }, { timeoutMs: 60_000, message: 'the task that writes 55 MB to end' });
  const workloads = path.join(executor.dataDir, 'workloads');
  const file = path.join(workloads, readdirSync(workloads).find((d) => d === task.instanceId)!, 'output.log');
  expected = await sha256Of(createReadStream(file));
  expect(expected.bytes).toBe(LOG_BYTES);
}, 90_000);

describe('log downloads', () => {
  it(`serves a ${LOG_BYTES / 1024 / 1024} MB log whole and keeps the executor's channel`, async () => {
    const response = await get(controller.url, DOWNLOAD);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-length']).toBe(String(LOG_BYTES));
    expect(await sha256Of(response)).toEqual(expected);
    const executors = (await controller.api().get('/apis/v1/cluster/executors')).body.data as { executorId: string }[];
    expect(executors.map((e) => e.executorId)).toContain(executor.executorId);
    expect(executor.output()).not.toMatch(/lost the connection to the controller/);
  }, 60_000);

  it(`serves ${CONCURRENT} at once with bounded memory, and answers 429 to one more`, async () => {
    const responses = await Promise.all(Array.from({ length: CONCURRENT }, () => get(controller.url, DOWNLOAD)));
    for (const response of responses) {
      expect(response.statusCode).toBe(200);
      response.pause();
    }
    const extra = await get(controller.url, DOWNLOAD);
    expect(extra.statusCode).toBe(429);
    expect(Number(extra.headers['retry-after'])).toBeGreaterThan(0);
    extra.resume();
    const results = await Promise.all(responses.map((response) => sha256Of(response)));
    for (const result of results) expect(result).toEqual(expected);
    // Whole-file frames took each process to ~570 MB here; with chunks each stays near its
    // baseline (~100 MB, ~250 MB when the machine is so loaded that the GC falls behind).
    expect(peakRssMb(executor.child.pid!)).toBeLessThan(350);
    expect(peakRssMb(controller.child!.pid!)).toBeLessThan(350);
    // The slots came back: another download starts.
    const after = await get(controller.url, DOWNLOAD);
    expect(after.statusCode).toBe(200);
    after.destroy();
  }, 120_000);

  it('gives the slot back when a client hangs up half-way', async () => {
    for (let i = 0; i < CONCURRENT + 2; i++) {
      const response = await get(controller.url, DOWNLOAD);
      expect(response.statusCode).toBe(200);
      await new Promise((resolve) => response.once('data', resolve));
      response.destroy();
    }
    await waitFor(async () => {
      const response = await get(controller.url, DOWNLOAD);
      response.destroy();
      return response.statusCode === 200;
    }, { message: 'a download slot after hang-ups' });
  }, 60_000);
});
