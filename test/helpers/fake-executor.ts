/**
 * A scripted executor: a real WebSocket client speaking the control-channel protocol
 * (src/api/channel-protocol.ts) from inside the test. Use it where a real `corral executor`
 * cannot produce the situation under test (malformed frames, a second connection with the same
 * id, a silent peer, exact reports); use `startTestExecutor` for everything else.
 *
 *   const exec = await connectFakeExecutor(controller.url, { secret: controller.config.clusterSecret });
 *   exec.send({ type: 'taskUpdate', task: { ... } });
 *   const msg = await exec.nextMessage((m) => m.type === 'startTask');
 */
import { WebSocket } from 'ws';
import { CHANNEL_PATH, CLUSTER_AUTH_HEADER, type ControllerMessage, type ExecutorMessage, type WelcomeMessage } from '../../src/api/channel-protocol.ts';
import type { ExecutorIdentity } from '../../src/api/cluster-types.ts';
import { executorIdOf } from '../../src/common/ids.ts';
import { waitFor } from './wait-for.ts';

export interface FakeExecutorOptions {
  secret: string;
  /** Identity fields to override; hostname/port default to `fake-host`/a counter. */
  identity?: Partial<ExecutorIdentity>;
  /** Send `hello` on open (default true) and wait for `welcome`. */
  hello?: boolean;
  /** Answer the controller's pings (default true; false simulates a hung executor). */
  autoPong?: boolean;
  /**
   * The hello's identity key (docs/security.md). Default: one derived from the executor id, so a
   * reconnect of the same identity in a test proves to be the same executor; `null` sends none.
   */
  identityKey?: string | null;
}

export interface FakeExecutor {
  identity: ExecutorIdentity;
  socket: WebSocket;
  welcome?: WelcomeMessage;
  /** Every message received from the controller, in order. */
  received: ControllerMessage[];
  /** Set once the socket closed. */
  closed?: { code: number; reason: string };
  send(message: ExecutorMessage | Record<string, unknown>): void;
  sendRaw(text: string): void;
  /** Resolves with the first received message (past or future) matching `predicate`. */
  nextMessage<T extends ControllerMessage = ControllerMessage>(predicate: (m: ControllerMessage) => boolean, timeoutMs?: number): Promise<T>;
  /** Resolves when the socket is closed, with code and reason. */
  waitClosed(timeoutMs?: number): Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

let counter = 0;

/** Identity of a fake executor with one NUMA node of `cores` cores and `memoryMB`. */
export function fakeIdentity(overrides: Partial<ExecutorIdentity> = {}, cores = 4, memoryMB = 4096): ExecutorIdentity {
  const hostname = overrides.hostname ?? 'fake-host';
  const port = overrides.port ?? 20_000 + (++counter);
  return {
    executorId: executorIdOf(hostname, port),
    hostname,
    port,
    transportType: 'HTTP',
    name: `fake-${port}`,
    tags: [],
    labels: {},
    layout: { cores: { 0: Array.from({ length: cores }, (_, i) => i) }, memory: { 0: memoryMB } },
    drivers: ['PROCESS'],
    version: 'test',
    ...overrides,
  };
}

/** Opens a channel to the controller at `baseUrl`. */
export async function connectFakeExecutor(baseUrl: string, options: FakeExecutorOptions): Promise<FakeExecutor> {
  const identity = fakeIdentity(options.identity);
  const url = baseUrl.replace(/^http/, 'ws') + CHANNEL_PATH;
  const socket = new WebSocket(url, { headers: { [CLUSTER_AUTH_HEADER]: options.secret }, autoPong: options.autoPong ?? true });
  const fake: FakeExecutor = {
    identity,
    socket,
    received: [],
    send: (message) => socket.send(JSON.stringify(message)),
    sendRaw: (text) => socket.send(text),
    nextMessage: async <T extends ControllerMessage>(predicate: (m: ControllerMessage) => boolean, timeoutMs = 5_000) =>
      (await waitFor(() => fake.received.find(predicate), { timeoutMs, intervalMs: 10, message: 'a matching controller message' })) as T,
    waitClosed: (timeoutMs = 5_000) => waitFor(() => fake.closed, { timeoutMs, intervalMs: 10, message: 'the channel to close' }),
    close: async () => {
      if (!fake.closed) {
        socket.close(1000, 'test done');
        await fake.waitClosed().catch(() => socket.terminate());
      }
    },
  };
  socket.on('message', (data) => {
    try {
      fake.received.push(JSON.parse(data.toString()) as ControllerMessage);
    } catch {
      // The controller only sends JSON; anything else would show up as a missing message.
    }
  });
  socket.on('close', (code, reason) => {
    fake.closed = { code, reason: reason.toString() };
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`channel upgrade refused: HTTP ${res.statusCode}`)));
  });
  if (options.hello ?? true) {
    const identityKey = options.identityKey === undefined ? `fake-identity-key-of-${identity.executorId}` : options.identityKey;
    fake.send({ type: 'hello', executor: identity, ...(identityKey === null ? {} : { identityKey }) });
    const first = await Promise.race([
      fake.nextMessage<WelcomeMessage>((m) => m.type === 'welcome'),
      fake.waitClosed().then((c) => c),
    ]);
    if ('type' in first) fake.welcome = first;
  }
  return fake;
}
