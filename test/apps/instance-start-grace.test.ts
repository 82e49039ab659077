/**
 * A new instance is recorded (with its executor) before its start is sent: the record is
 * written first, then the spec's CONTROLLER_HTTP_FETCH configs are fetched, then the start
 * goes out. A snapshot from that executor arriving in between does not list the instance yet
 * — it must not be declared LOST ("no longer on executor") for it. The start grace covers the
 * instance from the moment it is recorded. (Found on simulated hosts under load, where a
 * snapshot landed while the record was being written.)
 *
 * Scripted executor (sim-executor.ts) to send the snapshot exactly inside that window, held
 * open by a config server that does not answer until told to.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.ts';
import { appSpec, startAppCluster, type AppCluster } from './app-test-env.ts';

let env: AppCluster;
let configServer: http.Server;
const held: http.ServerResponse[] = [];
let requests = 0;

beforeAll(async () => {
  configServer = http.createServer((_request, response) => {
    requests++;
    held.push(response);
  });
  await new Promise<void>((resolve) => configServer.listen(0, '127.0.0.1', resolve));
  env = await startAppCluster({ executors: 1, config: { snapshotIntervalMs: 60_000 } });
});

afterAll(async () => {
  for (const response of held) response.end();
  await env?.close();
  configServer?.close();
});

describe('an instance recorded but not yet started', () => {
  it('is not LOST when a snapshot from its executor arrives before the start was sent', async () => {
    const { port } = configServer.address() as AddressInfo;
    const spec = appSpec('grace', {
      configs: [{
        type: 'CONTROLLER_HTTP_FETCH', localFilename: 'cfg.txt',
        http: { protocol: 'HTTP', hostname: '127.0.0.1', port, path: '/cfg', verb: 'GET', successCodes: [200] },
      }],
    });
    const { appId, operationId } = await env.submit({ type: 'CREATE', spec, instances: 1, opSpec: { timeout: '30s', parallelism: 1, failureStrategy: 'STOP' } });
    // The instance is recorded on the executor and its config fetch is pending: the start is not sent.
    await waitFor(() => requests === 1, { timeoutMs: 10_000, message: 'the config fetch of the new instance' });
    const [pending] = await env.instances(appId);
    expect(pending).toMatchObject({ state: 'PENDING', executorId: env.sims[0].executorId });
    expect(env.sims[0].log).toEqual([]);

    env.sims[0].snapshot(); // a full snapshot without the instance, as the executor truly has none yet
    // Give the controller time to process it (it is in-process: a round trip over the channel).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await env.api.get(`/apis/v1/applications/${appId}/instances/${pending.instanceId}`)).body.data.state).toBe('PENDING');

    held.shift()!.end('config-body');
    await env.waitOperation(operationId, 'COMPLETED');
    expect((await env.instances(appId, 'HEALTHY')).map((i) => i.instanceId)).toEqual([pending.instanceId]);
  });
});
