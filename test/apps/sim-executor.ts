/**
 * TEST DOUBLE — a scripted executor that speaks the real control-channel protocol over a real
 * WebSocket (via test/helpers/fake-executor.ts) and plays instance lifecycles with exact,
 * fast timings. It stands in for `corral executor` where a test needs control a real executor
 * cannot give (a start held at UNREADY, a start that fails, an instance turning UNHEALTHY on
 * cue, dozens of instances in well under a second). Tests that need real processes use the
 * real executor (test/apps/real-cluster.ts).
 *
 *   PENDING → PROVISIONING → STARTING → UNREADY → READY → HEALTHY      (one `stepMs` apart)
 *     start outcome 'fail':  … → START_FAILED → DEPROVISIONING → STOPPED
 *     start outcome 'hang':  … → UNREADY (until stopped)
 *   stop GRACEFUL: STOPPING → DEPROVISIONING → STOPPED;  stop FORCE: STOPPED at once
 */
import type {
  ControllerMessage, InstanceReport, StartInstanceMessage, StopInstanceMessage,
} from '../../src/api/channel-protocol.ts';
import type { ExecutorIdentity } from '../../src/api/cluster-types.ts';
import type { InstanceState } from '../../src/api/app-types.ts';
import { connectFakeExecutor, fakeIdentity, type FakeExecutor } from '../helpers/fake-executor.ts';

export type StartOutcome = 'healthy' | 'fail' | 'hang';

export interface SimOptions {
  secret: string;
  identity?: Partial<ExecutorIdentity>;
  cores?: number;
  memoryMB?: number;
  /** Delay between lifecycle states (default 5 ms). */
  stepMs?: number;
  /** Decides how each start ends (default: healthy). */
  outcome?: (message: StartInstanceMessage) => StartOutcome;
}

interface SimInstance {
  report: InstanceReport;
  timers: NodeJS.Timeout[];
  start: StartInstanceMessage;
}

let nextHostPort = 40_000;

export class SimExecutor {
  readonly identity: ExecutorIdentity;
  readonly instances = new Map<string, SimInstance>();
  /** Every start and stop received, in order, with the time it arrived. */
  readonly log: ((StartInstanceMessage | StopInstanceMessage) & { at: number })[] = [];
  stepMs: number;
  outcome: (message: StartInstanceMessage) => StartOutcome;
  private channel?: FakeExecutor;
  private readonly url: string;
  private readonly secret: string;

  private constructor(url: string, options: SimOptions) {
    this.url = url;
    this.secret = options.secret;
    this.identity = fakeIdentity(options.identity, options.cores ?? 64, options.memoryMB ?? 65_536);
    this.stepMs = options.stepMs ?? 5;
    this.outcome = options.outcome ?? (() => 'healthy');
  }

  static async connect(url: string, options: SimOptions): Promise<SimExecutor> {
    const sim = new SimExecutor(url, options);
    await sim.reconnect();
    return sim;
  }

  get executorId(): string {
    return this.identity.executorId;
  }

  get connected(): boolean {
    return this.channel !== undefined && this.channel.closed === undefined;
  }

  /** Opens a (new) channel with the same identity and sends a full snapshot. */
  async reconnect(url = this.url): Promise<void> {
    const channel = await connectFakeExecutor(url, { secret: this.secret, identity: this.identity });
    this.channel = channel;
    channel.socket.on('message', (data) => this.onMessage(JSON.parse(data.toString()) as ControllerMessage));
    this.snapshot();
  }

  /** The executor dies: its channel drops without a goodbye; its instances stop "running". */
  kill(): void {
    for (const instance of this.instances.values()) instance.timers.forEach(clearTimeout);
    this.instances.clear();
    this.channel?.socket.terminate();
    this.channel = undefined;
  }

  /** The connection drops, but the executor keeps its instances (it will reconnect). */
  disconnect(): void {
    this.channel?.socket.terminate();
    this.channel = undefined;
  }

  snapshot(): void {
    this.channel?.send({ type: 'snapshot', tasks: [], instances: [...this.instances.values()].map((i) => i.report), time: Date.now() });
  }

  state(instanceId: string): InstanceState | undefined {
    return this.instances.get(instanceId)?.report.state;
  }

  /** Running (not terminal) instances on this executor. */
  running(): string[] {
    return [...this.instances.values()].filter((i) => i.report.state !== 'STOPPED').map((i) => i.report.instanceId);
  }

  /** Moves an instance to `state` now (e.g. UNHEALTHY, or HEALTHY to release a hung start). */
  set(instanceId: string, state: InstanceState, errorMessage = ''): void {
    const instance = this.instances.get(instanceId);
    if (!instance) throw new Error(`sim ${this.identity.hostname}: no instance ${instanceId}`);
    instance.timers.forEach(clearTimeout);
    instance.timers = [];
    this.report(instance, state, errorMessage);
  }

  async close(): Promise<void> {
    for (const instance of this.instances.values()) instance.timers.forEach(clearTimeout);
    await this.channel?.close();
  }

  private onMessage(message: ControllerMessage): void {
    switch (message.type) {
      case 'startInstance':
        this.log.push({ ...message, at: performance.now() });
        this.start(message);
        break;
      case 'stopInstance':
        this.log.push({ ...message, at: performance.now() });
        this.stop(message);
        break;
      case 'forget':
        for (const id of message.instanceIds) if (this.instances.get(id)?.report.state === 'STOPPED') this.instances.delete(id);
        break;
      default:
        break;
    }
  }

  private start(message: StartInstanceMessage): void {
    if (this.instances.has(message.instanceId)) return;
    const ports: Record<string, { containerPort: number; hostPort: number; portType: 'HTTP' | 'HTTPS' | 'TCP' | 'UDP' }> = {};
    for (const p of message.spec.exposedPorts) ports[p.name] = { containerPort: p.port, hostPort: nextHostPort++, portType: p.type };
    const instance: SimInstance = {
      start: message,
      timers: [],
      report: {
        instanceId: message.instanceId, appId: message.appId, appName: message.spec.name, state: 'PENDING',
        localInfo: { hostname: this.identity.hostname, ports }, errorMessage: '', events: [], updated: Date.now(),
      },
    };
    this.instances.set(message.instanceId, instance);
    const outcome = this.outcome(message);
    const path: [InstanceState, string][] = outcome === 'fail'
      ? [['PENDING', ''], ['PROVISIONING', ''], ['STARTING', ''], ['START_FAILED', 'simulated start failure'], ['DEPROVISIONING', 'simulated start failure'], ['STOPPED', 'simulated start failure']]
      : [['PENDING', ''], ['PROVISIONING', ''], ['STARTING', ''], ['UNREADY', ''], ...(outcome === 'hang' ? [] : [['READY', ''], ['HEALTHY', '']] as [InstanceState, string][])];
    this.play(instance, path);
  }

  private stop(message: StopInstanceMessage): void {
    const instance = this.instances.get(message.instanceId);
    if (!instance || instance.report.state === 'STOPPED') return;
    instance.timers.forEach(clearTimeout);
    instance.timers = [];
    if (message.mode === 'FORCE') this.report(instance, 'STOPPED', '');
    else this.play(instance, [['STOPPING', ''], ['DEPROVISIONING', ''], ['STOPPED', '']]);
  }

  /** Plays states one `stepMs` apart. Chained, not scheduled all at once: Node runs timers of
   *  different durations out of order when the event loop is late. */
  private play(instance: SimInstance, path: [InstanceState, string][]): void {
    const [first, ...rest] = path;
    if (!first) return;
    this.report(instance, first[0], first[1]);
    if (rest.length === 0) return;
    instance.timers = [setTimeout(() => this.play(instance, rest), this.stepMs)];
  }

  private report(instance: SimInstance, state: InstanceState, errorMessage: string): void {
    instance.report = { ...instance.report, state, errorMessage, updated: Math.max(Date.now(), instance.report.updated + 1) };
    this.channel?.send({ type: 'instanceUpdate', instance: instance.report });
  }
}
