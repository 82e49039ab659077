/**
 * A corral cluster spread over simulated hosts: every controller and executor in its own
 * network namespace on a test-made bridge (netns-network.ts), the store on the test's own
 * PostgreSQL instance listening on that bridge (netns-postgres.ts), the real binaries started
 * inside the namespaces (netns-nodes.ts). All traffic between nodes crosses the bridge, so a
 * host can be cut off (link down) or partitioned from another (`block`).
 *
 *   const reason = netnsUnavailableReason();             // skip the suite when set
 *   const cluster = await startNetnsCluster();           // beforeAll: bridge + PostgreSQL, once per file
 *   const store = cluster.postgres.newStore('web').url; // a fresh schema per test
 *   const ctl = await cluster.startController('ctl', { store, config: { executorLostAfterMs: 3_000 } });
 *   const ex1 = await cluster.startExecutor('ex1', { controllers: [ctl.url] });
 *   cluster.cutOff(ex1.host); …; cluster.reconnect(ex1.host);
 *   cluster.serversOn(ex1.host, marker);                 // the app's processes running on that host
 *   await cluster.resetNodes();                          // afterEach: nodes and hosts gone, PostgreSQL kept
 *
 * Teardown deletes everything it made — processes, namespaces, veths, the bridge, the
 * PostgreSQL instance and temp dirs — from `afterAll` (registered with the child-process
 * bookkeeping), from an exit hook if the process ends first, and from the next run's leftover
 * sweep if this one was SIGKILLed (netns-cleanup.ts).
 */
import { execFileSync } from 'node:child_process';
import { trackStopper } from './child-processes.ts';
import { onExitCleanup, sweepLeftovers } from './netns-cleanup.ts';
import { NetnsNetwork, type NetnsHost } from './netns-network.ts';
import { NetnsController, NetnsExecutor, type NetnsControllerOptions, type NetnsExecutorOptions } from './netns-nodes.ts';
import { postgresBinDir, TestPostgres } from './netns-postgres.ts';
import { processesWhoseCommandLineIncludes, type ScannedProcess } from './process-scan.ts';

function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Why namespaced clusters cannot run here (undefined when they can): they need root (namespaces,
 * links, running PostgreSQL as its own user) and iproute2's `ip`. Nothing else is a reason to
 * skip: without `runuser` or PostgreSQL's server binaries the suite fails and says which is
 * missing (`.ci/run` makes sure of all of them).
 */
export function netnsUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root (run as root, as CI does)';
  if (!hasCommand('ip')) return 'iproute2\'s `ip` is not installed (.ci/run installs it)';
  return undefined;
}

export class NetnsCluster {
  readonly network: NetnsNetwork;
  readonly postgres: TestPostgres;
  readonly controllers: NetnsController[] = [];
  readonly executors: NetnsExecutor[] = [];
  private readonly untrack: () => void;
  private readonly unhookExit: () => void;
  private destroyed = false;

  constructor(network: NetnsNetwork, postgres: TestPostgres) {
    this.network = network;
    this.postgres = postgres;
    this.untrack = trackStopper(() => this.destroy());
    this.unhookExit = onExitCleanup(() => this.destroySync());
  }

  /** A new host (namespace on the bridge) with the given label. */
  addHost(label: string): NetnsHost {
    return this.network.addHost(label);
  }

  /** A controller on a new host `label` (or on `host`), started and answering. */
  async startController(label: string | NetnsHost, options: NetnsControllerOptions): Promise<NetnsController> {
    const controller = new NetnsController(this.hostFor(label), options);
    this.controllers.push(controller);
    return controller.start();
  }

  /** An executor on a new host `label` (or on `host`), started and registered. */
  async startExecutor(label: string | NetnsHost, options: NetnsExecutorOptions): Promise<NetnsExecutor> {
    const executor = new NetnsExecutor(this.hostFor(label), options);
    this.executors.push(executor);
    return executor.start();
  }

  cutOff(host: NetnsHost): void {
    this.network.cutOff(host);
  }

  reconnect(host: NetnsHost): void {
    this.network.reconnect(host);
  }

  /** Live processes on `host` whose command line contains `text`. */
  processesOn(host: NetnsHost, text: string): ScannedProcess[] {
    return processesWhoseCommandLineIncludes(text).filter((p) => this.network.runsOn(p.pid, host));
  }

  /**
   * The app servers (test/apps/fixtures/http-app.ts started with `--marker=<marker>`) running on
   * `host`, the process driver's shell wrappers left out.
   */
  serversOn(host: NetnsHost, marker: string): number[] {
    return this.processesOn(host, `--marker=${marker}`).filter((p) => p.argv[0] === process.execPath).map((p) => p.pid);
  }

  /** The host an executor id belongs to. */
  hostOfExecutor(executorId: string): NetnsHost {
    const executor = this.executors.find((e) => e.executorId === executorId);
    if (!executor) throw new Error(`no executor ${executorId} in this cluster`);
    return executor.host;
  }

  /**
   * Stops every node (SIGKILL: nothing of a finished test needs a graceful end) and deletes
   * their hosts, keeping the bridge and PostgreSQL for the next test of the file.
   */
  async resetNodes(): Promise<void> {
    await Promise.all([...this.controllers, ...this.executors].map((node) => node.kill('SIGKILL')));
    this.controllers.length = 0;
    this.executors.length = 0;
    for (const host of [...this.network.hosts]) this.network.removeHost(host);
  }

  /** Everything gone: nodes and their workloads, namespaces, bridge, PostgreSQL. Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.untrack();
    await Promise.allSettled([...this.controllers, ...this.executors].map((node) => node.kill('SIGKILL')));
    this.destroySync();
  }

  private destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.unhookExit();
    try {
      this.network.destroy();
    } finally {
      this.postgres.destroy();
    }
  }

  private hostFor(label: string | NetnsHost): NetnsHost {
    return typeof label === 'string' ? this.network.addHost(label) : label;
  }
}

/**
 * The bridge and the test's PostgreSQL on it (first sweeping what crashed runs left). Call once
 * per test file, in `beforeAll`; nodes are started per test.
 */
export async function startNetnsCluster(): Promise<NetnsCluster> {
  const reason = netnsUnavailableReason();
  if (reason) throw new Error(`namespaced clusters cannot run here: ${reason}`);
  if (!hasCommand('runuser')) throw new Error('namespaced clusters need `runuser` (util-linux) to run PostgreSQL as its own user');
  if (!postgresBinDir()) throw new Error('namespaced clusters need PostgreSQL\'s server binaries under /usr/lib/postgresql/<version>/bin (initdb, pg_ctl)');
  sweepLeftovers();
  const network = NetnsNetwork.create();
  try {
    const postgres = await TestPostgres.start({ listen: network.gateway, allow: network.subnet, tag: network.tag });
    return new NetnsCluster(network, postgres);
  } catch (error) {
    network.destroy();
    throw error;
  }
}
