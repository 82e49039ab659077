/**
 * The executor channel against strangers and rogue executors (docs/security.md), on a real
 * controller with real WebSocket clients and real `corral executor` processes:
 *
 * - a wrong or missing cluster secret is answered HTTP 401 before the upgrade (it used to be
 *   upgraded and then closed 4001, after the socket could already send 64 MB frames);
 * - until hello, a socket may send only small frames, and only a few sockets may wait for hello
 *   (8 sockets × 60 MB frames took the controller from 422 to 764 MB);
 * - a second process claiming a connected executor's id (same hostname and port) is refused
 *   and the executor keeps its channel; the same executor restarting (same data dir, same
 *   identity key) still re-attaches; once the old one is LOST a new identity may take the id.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CHANNEL_HELLO_MAX_BYTES, CHANNEL_PATH, CLOSE_REFUSED, CLOSE_REPLACED } from '../../src/api/channel-protocol.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { connectFakeExecutor, fakeIdentity } from '../helpers/fake-executor.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';

afterAll(stopAllTestProcesses);

let controller: TestController;
let secret: string;
beforeAll(async () => {
  controller = await startTestController({ modules: [], config: { executorLostAfterMs: 1_500, executorRemovedAfterMs: 60_000 } });
  secret = controller.config.clusterSecret;
});

/** The raw HTTP answer to an upgrade request (status line and whether it switched protocols). */
function upgradeAnswer(headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(controller.port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(text.split('\r\n')[0]);
      }
    });
    socket.on('error', reject);
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.write(`GET ${CHANNEL_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`);
  });
}

/** An upgraded socket that has not said hello. */
async function openSocket(): Promise<WebSocket> {
  const socket = new WebSocket(controller.url.replace(/^http/, 'ws') + CHANNEL_PATH, { headers: { 'cluster-authorization': secret } });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return socket;
}

const closeCode = (socket: WebSocket) => new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));

describe('before the upgrade', () => {
  it('answers a wrong or missing cluster secret with 401 and never switches protocols', async () => {
    expect(await upgradeAnswer({ 'Cluster-Authorization': 'not-the-secret' })).toBe('HTTP/1.1 401 Unauthorized');
    expect(await upgradeAnswer({})).toBe('HTTP/1.1 401 Unauthorized');
    expect(await upgradeAnswer({ 'Cluster-Authorization': secret })).toBe('HTTP/1.1 101 Switching Protocols');
  });

  it('lets only a few sockets wait for hello at once; 503 for more until one registers or leaves', async () => {
    const waiting = await Promise.all(Array.from({ length: 16 }, () => openSocket()));
    await expect(openSocket()).rejects.toThrow('HTTP 503');
    waiting[0].close();
    await waitFor(async () => {
      const socket = await openSocket().catch(() => undefined);
      socket?.close();
      return socket !== undefined;
    }, { message: 'room for a new socket after one closed' });
    const closing = waiting.slice(1).map(closeCode);
    for (const socket of waiting) socket.close();
    await Promise.all(closing);
  });
});

describe('frame limits', () => {
  it('closes a socket that sends a large frame before hello (1009), and takes large frames after it', async () => {
    const stranger = await openSocket();
    const closed = closeCode(stranger);
    stranger.send(JSON.stringify({ type: 'hello', pad: 'x'.repeat(CHANNEL_HELLO_MAX_BYTES + 1) }));
    expect(await closed).toBe(1009);

    const exec = await connectFakeExecutor(controller.url, { secret });
    const tasks = Array.from({ length: 4_000 }, (_, i) => ({
      instanceId: `TI-${i}`, sourceAppName: 'big', taskId: `t${i}`, state: 'RUNNING', errorMessage: 'e'.repeat(200), events: [], updated: 1,
    }));
    const frame = JSON.stringify({ type: 'snapshot', tasks, instances: [], time: 1 });
    expect(frame.length).toBeGreaterThan(4 * CHANNEL_HELLO_MAX_BYTES);
    exec.sendRaw(frame);
    await waitFor(() => controller.ctx!.executors.get(exec.identity.executorId)?.tasks.size === 4_000, { message: 'the large snapshot taken in' });
    expect(exec.closed).toBeUndefined();
    await exec.close();
  });
});

describe('executor identity', () => {
  it('refuses a hello for a connected executor id with another identity key; the executor keeps its channel', async () => {
    const identity = fakeIdentity();
    const owner = await connectFakeExecutor(controller.url, { secret, identity, identityKey: 'the-owners-identity-key-0123456789' });
    for (const identityKey of ['a-rogue-identity-key-0123456789abc', null] as const) {
      const rogue = await connectFakeExecutor(controller.url, { secret, identity, identityKey });
      expect(await rogue.waitClosed()).toMatchObject({ code: CLOSE_REFUSED, reason: expect.stringContaining('belongs to another executor') });
    }
    expect(owner.closed).toBeUndefined();
    expect(controller.ctx!.executors.get(identity.executorId)?.connected).toBe(true);
    expect(controller.ctx!.executors.send(identity.executorId, { type: 'forget', instanceIds: ['TI-mine'] })).toBe(true);
    await owner.nextMessage((m) => m.type === 'forget');

    // The same executor reconnecting (same key) replaces its own stale connection, as before.
    const again = await connectFakeExecutor(controller.url, { secret, identity, identityKey: 'the-owners-identity-key-0123456789' });
    expect(await owner.waitClosed()).toMatchObject({ code: CLOSE_REPLACED });
    expect(again.welcome?.type).toBe('welcome');

    // Gone long enough to be LOST: a rebuilt machine (new key) may take the id.
    await again.close();
    await waitFor(() => controller.ctx!.executors.get(identity.executorId)?.record.lostAt !== undefined, { message: 'the executor LOST' });
    const rebuilt = await connectFakeExecutor(controller.url, { secret, identity, identityKey: 'a-rebuilt-machines-new-key-012345' });
    expect(rebuilt.welcome?.type).toBe('welcome');
    await rebuilt.close();
  });

  it('refuses a second corral executor process with the same hostname and port; the first keeps running, a restart of it re-attaches', async () => {
    const first = await startTestExecutor(controller.url, { secret, name: 'first', cores: 1 });
    const second = await startTestExecutor(controller.url, {
      secret, name: 'impostor', cores: 1, hostname: first.hostname, port: first.port, waitRegistered: false, logLevel: 'info',
    });
    await waitFor(() => /belongs to another executor/.test(second.output()), { timeoutMs: 15_000, message: `the impostor refused:\n${second.output()}` });
    const live = controller.ctx!.executors.get(first.executorId)!;
    expect(live.connected).toBe(true);
    expect(live.record.name).toBe('first');
    await second.stop();

    const restarted = await first.restart();
    expect(controller.ctx!.executors.get(restarted.executorId)?.record.name).toBe('first');
    await restarted.stop();
  });
});
