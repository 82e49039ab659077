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
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { startExecutor, type ExecutorAgent } from '../executor/agent/executor-agent.ts';
import { parseKeyValues, type DriverMode } from '../executor/agent/executor-options.ts';
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
        });
      } catch (error) {
        process.stderr.write(`corral executor: ${(error as Error).message}\n`);
        process.exit(1);
      }
      process.stderr.write(`corral executor ${agent.executorId} (${agent.identity.hostname}:${agent.identity.port}) drivers: ${agent.identity.drivers.join(', ')}; data dir ${agent.dataDir}\n`);
      if (process.connected) {
        process.once('disconnect', () => {
          process.stderr.write('corral executor: corral dev went away; exiting, workloads keep running for the next one\n');
          agent.stop({ killWorkloads: false }).then(() => process.exit(0), () => process.exit(1));
        });
      }
      onShutdownSignals(() => agent.stop(), {
        onSignal: (signal) => process.stderr.write(`${signal}: executor shutting down${opts.killWorkloadsOnExit ? ' (stopping workloads)' : ' (workloads keep running)'}\n`),
        onError: (error) => process.stderr.write(`corral executor: shutdown failed: ${error.message}\n`),
      });
    });
}
