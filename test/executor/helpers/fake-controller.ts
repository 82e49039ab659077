/**
 * A real WebSocket server playing the controller's side of src/api/channel-protocol.ts, for
 * executor tests (the real controller is developed separately). It checks the secret, answers
 * `hello` with `welcome`, records every frame and lets tests wait on them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type {
  ControllerMessage, ExecutorMessage, HelloMessage, InstanceReport, ReplyMessage, RequestAction, TaskReport,
} from '../../../src/api/channel-protocol.ts';
import { CHANNEL_PATH, CLOSE_WRONG_SECRET } from '../../../src/api/channel-protocol.ts';

export interface FakeControllerOptions {
  secret?: string;
  port?: number;
  snapshotIntervalMs?: number;
  knownInstanceIds?: string[];
  /** `welcome.features` (e.g. ['taskUpdates', 'instanceUpdates']); none by default, as an older controller. */
  features?: string[];
  /** Leadership epoch stamped on every frame it sends (docs/ha.md); none by default, as an older controller. */
  epoch?: number;
}

type Waiter = { probe: (m: ExecutorMessage) => unknown; resolve: (v: unknown) => void };

export class FakeController {
  readonly secret: string;
  readonly messages: ExecutorMessage[] = [];
  readonly hellos: HelloMessage[] = [];
  /** Connections refused for a wrong secret. */
  refused = 0;
  knownInstanceIds: string[] | undefined;
  /** Stamped on every frame sent from now on (undefined: no epoch field). */
  epoch: number | undefined;
  private readonly features: string[] | undefined;
  private readonly server: http.Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private current: WebSocket | undefined;
  private waiters: Waiter[] = [];
  private readonly snapshotIntervalMs: number;

  private constructor(options: FakeControllerOptions) {
    this.secret = options.secret ?? 'test-secret';
    this.snapshotIntervalMs = options.snapshotIntervalMs ?? 60_000;
    this.knownInstanceIds = options.knownInstanceIds;
    this.features = options.features;
    this.epoch = options.epoch;
    this.server = http.createServer((_req, res) => res.writeHead(404).end());
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (request, socket, head) => {
      if (!request.url?.startsWith(CHANNEL_PATH)) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, request.headers['cluster-authorization']));
    });
  }

  static async start(options: FakeControllerOptions = {}): Promise<FakeController> {
    const controller = new FakeController(options);
    await new Promise<void>((resolve) => controller.server.listen(options.port ?? 0, '127.0.0.1', resolve));
    return controller;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get connected(): boolean {
    return this.current !== undefined && this.current.readyState === this.current.OPEN;
  }

  send(message: ControllerMessage): void {
    if (!this.current) throw new Error('no executor connected');
    this.current.send(JSON.stringify(this.stamped(message)));
  }

  private stamped(message: object): object {
    return this.epoch === undefined ? message : { ...message, epoch: this.epoch };
  }

  async request<T = unknown>(action: RequestAction): Promise<ReplyMessage & { data?: T }> {
    const requestId = randomUUID();
    this.send({ type: 'request', requestId, ...action });
    return this.waitFor((m) => (m.type === 'reply' && m.requestId === requestId ? m : undefined)) as Promise<ReplyMessage & { data?: T }>;
  }

  /** Resolves with the first truthy `probe` result over recorded and future frames. */
  waitFor<T>(probe: (m: ExecutorMessage) => T | undefined | false, timeoutMs = 15_000, what = 'a matching executor message'): Promise<T> {
    for (const message of this.messages) {
      const hit = probe(message);
      if (hit) return Promise.resolve(hit);
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = { probe, resolve: resolve as (v: unknown) => void };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got: ${this.messages.map((m) => m.type).slice(-20).join(', ')}`));
      }, timeoutMs);
      waiter.resolve = (value) => {
        clearTimeout(timer);
        resolve(value as T);
      };
      this.waiters.push(waiter);
    });
  }

  /** Waits for a report of `instanceId` (update or snapshot) satisfying `predicate`. */
  waitForTask(instanceId: string, predicate: (r: TaskReport) => boolean, timeoutMs?: number): Promise<TaskReport> {
    return this.waitFor((m) => this.taskIn(m, instanceId).find(predicate), timeoutMs, `task ${instanceId} report`);
  }

  waitForInstance(instanceId: string, predicate: (r: InstanceReport) => boolean, timeoutMs?: number): Promise<InstanceReport> {
    return this.waitFor((m) => this.instanceIn(m, instanceId).find(predicate), timeoutMs, `instance ${instanceId} report`);
  }

  /** States pushed for a workload through updates, in arrival order, without repeats. */
  statesOf(instanceId: string): string[] {
    const states: string[] = [];
    for (const m of this.messages) {
      const reports: { instanceId: string; state: string }[] = m.type === 'taskUpdate' ? [m.task] : m.type === 'taskUpdates' ? m.tasks
        : m.type === 'instanceUpdate' ? [m.instance] : m.type === 'instanceUpdates' ? m.instances : [];
      for (const report of reports) {
        if (report.instanceId === instanceId && states[states.length - 1] !== report.state) states.push(report.state);
      }
    }
    return states;
  }

  /** Drops the executor's connection without stopping the server. */
  dropConnection(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
  }

  private taskIn(m: ExecutorMessage, id: string): TaskReport[] {
    if (m.type === 'taskUpdate') return m.task.instanceId === id ? [m.task] : [];
    if (m.type === 'taskUpdates') return m.tasks.filter((t) => t.instanceId === id);
    if (m.type === 'snapshot') return m.tasks.filter((t) => t.instanceId === id);
    return [];
  }

  private instanceIn(m: ExecutorMessage, id: string): InstanceReport[] {
    if (m.type === 'instanceUpdate') return m.instance.instanceId === id ? [m.instance] : [];
    if (m.type === 'instanceUpdates') return m.instances.filter((i) => i.instanceId === id);
    if (m.type === 'snapshot') return m.instances.filter((t) => t.instanceId === id);
    return [];
  }

  private accept(ws: WebSocket, secret: string | string[] | undefined): void {
    if (secret !== this.secret) {
      this.refused++;
      ws.close(CLOSE_WRONG_SECRET, 'wrong cluster secret');
      return;
    }
    this.sockets.add(ws);
    ws.on('close', () => {
      this.sockets.delete(ws);
      if (this.current === ws) this.current = undefined;
    });
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as ExecutorMessage;
      if (message.type === 'hello') {
        this.hellos.push(message);
        this.current = ws;
        ws.send(JSON.stringify(this.stamped({
          type: 'welcome', executorState: 'ACTIVE', snapshotIntervalMs: this.snapshotIntervalMs,
          ...(this.knownInstanceIds ? { knownInstanceIds: this.knownInstanceIds } : {}),
          ...(this.features ? { features: this.features } : {}),
        })));
      }
      this.messages.push(message);
      for (const waiter of [...this.waiters]) {
        const hit = waiter.probe(message);
        if (hit) {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          waiter.resolve(hit);
        }
      }
    });
  }
}
