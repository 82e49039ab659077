/**
 * `corral executor`: runs the executor agent on this machine until SIGTERM/SIGINT.
 * On a signal the agent exits and its workloads keep running (they are re-attached by the
 * next agent on the same data dir), unless `--kill-workloads-on-exit` asks for them to be
 * stopped first (`corral dev` does). `--driver mock` runs every workload on the mock driver
 * (simulation: no real processes; MOCK_RUN_MS / MOCK_EXIT_CODE / MOCK_FAIL in the spec env).
 *
 * Started by `corral dev` (which gives it an IPC channel), the agent also ends when that channel
 * closes: `corral dev` died without stopping it (SIGKILL, a crash). It then exits the way it does
 * when its controller fails — workloads left running, state persisted — so it does not linger
 * holding its data dir, and the next `corral dev` on the data dir re-attaches to the workloads.
 * Unless `corral dev` had said it was stopping (src/common/dev-ipc.ts): then its death ends the
 * executor the way its SIGTERM would have, workloads stopped, so a stop never leaves them behind.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { startExecutor, type ExecutorAgent } from '../executor/agent/executor-agent.ts';
import { parseKeyValues, REPORT_PACING_MS, type DriverMode } from '../executor/agent/executor-options.ts';
import { isDevStopping } from '../common/dev-ipc.ts';
import { parseCpuList } from '../executor/host/host-topology.ts';
import type { ExecutorIdentity } from '../api/cluster-types.ts';
import { onShutdownSignals } from './shutdown-signals.ts';

interface ExecutorCliOptions {
  controller: string;
  secret?: string;
  name?: string;
  tags?: string;
  labels?: string;
  rack?: string;
  rackLabels?: string;
  cores?: number;
  memoryMb?: number;
  dataDir?: string;
  hostname?: string;
  port: number;
  killWorkloadsOnExit?: boolean;
  driver: DriverMode;
  osCores?: number[];
  overprovisionCpu?: number;
  overprovisionMemory?: number;
  enforce: boolean;
  cgroupParent?: string;
  statsInterval?: number;
  reportPacing?: number;
}

function cpuList(value: string): number[] {
  try {
    return parseCpuList(value);
  } catch (error) {
    throw new InvalidArgumentError(`--os-cores: ${(error as Error).message}`);
  }
}

/** The start-up line that says what this executor enforces, and why not when it does not. */
export function describeIsolation(identity: ExecutorIdentity): string {
  const host = identity.host;
  if (!host) return 'no host facts';
  const cores = Object.values(identity.layout.cores).reduce((sum, c) => sum + c.length, 0);
  const nodes = `${host.numaNodes.length} NUMA node(s), offering ${cores} core(s)${host.osCores.length ? ` (OS cores ${host.osCores.join(',')} kept back)` : ''}`;
  const pinning = host.pinning === 'pinned' ? 'pinned' : `shared: ${host.sharedBecause}`;
  const e = host.enforcement;
  const enforcement = e.process ? `PROCESS workloads confined by cgroup ${e.cgroups} (cores ${pinning})`
    : e.disabledByOperator ? 'PROCESS workloads NOT confined (--no-enforce)'
      : `PROCESS workloads will be refused: ${e.problem} (start with --no-enforce to run them unconfined)`;
  return `${nodes}; ${enforcement}`;
}

function wholeNumber(flag: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${flag} must be a whole number from ${min} to ${max}, got "${value}"`);
    return n;
  };
}

/**
 * Registers the agent as `corral executor [run] --controller …`. The client CLI owns the
 * `executor` command group (`executor list`, `info`, …), so the agent joins that group as its
 * default subcommand: `corral executor --controller URL` runs the agent, `corral executor list`
 * stays the client's. Whichever registers first, the group is shared.
 */
export function registerExecutorCommand(program: Command): void {
  const agentCommand = buildAgentCommand();
  const attach = (group: Command) => {
    if (!group.commands.includes(agentCommand)) group.addCommand(agentCommand, { isDefault: true });
  };
  const existing = program.commands.find((c) => c.name() === 'executor');
  if (existing) {
    attach(existing);
    return;
  }
  // The client's group is registered after the server roles: join it when it is dispatched to.
  program.hook('preSubcommand', (_program, subcommand) => {
    if (subcommand.name() === 'executor') attach(subcommand);
  });
}

function buildAgentCommand(): Command {
  return new Command('run')
    .description('run the executor agent: connect to the controllers and run the work they place here (default subcommand)')
    .requiredOption('--controller <urls>', 'controller URL(s), comma-separated (e.g. http://10.0.0.5:4000,http://10.0.0.6:4000)')
    .addOption(new Option('--secret <secret>', 'cluster secret shared with the controllers').env('CORRAL_CLUSTER_SECRET'))
    .option('--name <name>', 'executor name (default: the hostname)')
    .option('--tags <a,b>', 'comma-separated executor tags (for MATCH_TAG placement)')
    .option('--labels <k=v,...>', 'executor labels (for node filters)')
    .option('--rack <rack>', 'rack name')
    .option('--rack-labels <k=v,...>', 'rack labels')
    .option('--cores <n>', 'cores to offer (default: all of this machine\'s)', wholeNumber('--cores', 1))
    .option('--memory-mb <n>', 'memory (MB) to offer (default: all of this machine\'s)', wholeNumber('--memory-mb', 1))
    .option('--os-cores <list>', 'CPUs kept for the OS and never offered, as a CPU list (e.g. 0,1 or 0-1)', cpuList)
    .option('--overprovision-cpu <n>', 'offer N virtual cores per CPU; workloads then share CPUs instead of being pinned (default: off)', wholeNumber('--overprovision-cpu', 1, 100))
    .option('--overprovision-memory <n>', 'offer N times the memory (each workload keeps its hard limit; default: off)', wholeNumber('--overprovision-memory', 1, 100))
    .option('--no-enforce', 'run PROCESS workloads without cgroups (their cores and memory are booked but not enforced)')
    .option('--cgroup-parent <path>', 'where workload cgroups go: absolute from the cgroup root, or relative to the executor\'s own cgroup')
    .option('--report-pacing <ms>', `least time between two frames of workload reports: under load a short task's later steps share one (0: a frame per turn; default ${REPORT_PACING_MS}, at most 1000)`, wholeNumber('--report-pacing', 0, 1_000))
    .option('--stats-interval <ms>', 'how often workload CPU, memory and I/O are sampled and sent (0: never; default 10000)', wholeNumber('--stats-interval', 0))
    .option('--data-dir <dir>', 'where workload state and logs live (default: ./.corral/executor-<port>)')
    .option('--hostname <host>', 'hostname to report (default: os.hostname())')
    .option('--port <port>', 'port that, with the hostname, makes the executor id', wholeNumber('--port', 1, 65535), 3000)
    .option('--kill-workloads-on-exit', 'stop every workload before the agent exits (default: leave them running)')
    .addOption(new Option('--driver <mode>', 'auto: process (+docker when an engine answers); mock: simulate every workload').choices(['auto', 'mock']).default('auto'))
    .action(async (opts: ExecutorCliOptions) => {
      let agent: ExecutorAgent;
      try {
        if (!opts.secret) throw new Error('--secret (or CORRAL_CLUSTER_SECRET) is required');
        agent = await startExecutor({
          controllers: opts.controller,
          secret: opts.secret,
          name: opts.name,
          tags: opts.tags?.split(','),
          labels: opts.labels ? parseKeyValues(opts.labels, '--labels') : undefined,
          rack: opts.rack,
          rackLabels: opts.rackLabels ? parseKeyValues(opts.rackLabels, '--rack-labels') : undefined,
          cores: opts.cores,
          memoryMb: opts.memoryMb,
          dataDir: opts.dataDir,
          hostname: opts.hostname,
          port: opts.port,
          killWorkloadsOnExit: Boolean(opts.killWorkloadsOnExit),
          driver: opts.driver,
          osCores: opts.osCores,
          overProvisioning: opts.overprovisionCpu !== undefined || opts.overprovisionMemory !== undefined
            ? { cpuMultiplier: opts.overprovisionCpu ?? 1, memoryMultiplier: opts.overprovisionMemory ?? 1 } : undefined,
          enforce: opts.enforce,
          cgroupParent: opts.cgroupParent,
          statsIntervalMs: opts.statsInterval,
          reportPacingMs: opts.reportPacing,
        });
      } catch (error) {
        process.stderr.write(`corral executor: ${(error as Error).message}\n`);
        process.exit(1);
      }
      process.stderr.write(`corral executor ${agent.executorId} (${agent.identity.hostname}:${agent.identity.port}) drivers: ${agent.identity.drivers.join(', ')}; data dir ${agent.dataDir}\n`);
      process.stderr.write(`corral executor: ${describeIsolation(agent.identity)}\n`);
      if (process.connected) {
        let devStopping = false;
        process.on('message', (message) => {
          if (!isDevStopping(message)) return;
          devStopping = true;
          process.stderr.write(`corral executor: corral dev is stopping${opts.killWorkloadsOnExit ? '; workloads will be stopped' : ''}\n`);
        });
        process.once('disconnect', () => {
          const killWorkloads = devStopping && Boolean(opts.killWorkloadsOnExit);
          process.stderr.write(killWorkloads
            ? 'corral executor: corral dev went away while stopping; stopping workloads\n'
            : 'corral executor: corral dev went away; exiting, workloads keep running for the next one\n');
          agent.stop({ killWorkloads }).then(() => process.exit(0), () => process.exit(1));
        });
      }
      onShutdownSignals(() => agent.stop(), {
        onSignal: (signal) => process.stderr.write(`${signal}: executor shutting down${opts.killWorkloadsOnExit ? ' (stopping workloads)' : ' (workloads keep running)'}\n`),
        onError: (error) => process.stderr.write(`corral executor: shutdown failed: ${error.message}\n`),
      });
    });
}
