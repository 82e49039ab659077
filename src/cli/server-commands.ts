/** Server roles of the `corral` binary: controller, executor, dev, sim. */
import { type Command, InvalidArgumentError } from 'commander';
import { registerControllerCommand } from './controller-command.ts';
import { registerExecutorCommand } from './executor-command.ts';
import { registerSimCommand } from './sim-command.ts';
import { DEV_MIN_CORES } from '../dev/dev-defaults.ts';
import { onShutdownSignals } from './shutdown-signals.ts';

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number ≥ 1, got "${value}"`);
    return n;
  };
}

export function registerServerCommands(program: Command): void {
  registerControllerCommand(program);
  registerExecutorCommand(program);
  registerSimCommand(program);
  program
    .command('dev')
    .description('start a local cluster: a controller on embedded SQLite plus local executors (process driver); --controllers 3 --store postgres://… for an HA cluster')
    .option('--port <n>', 'controller HTTP port', positiveInt('--port'), 4000)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--data-dir <dir>', 'where the database and executor state live', './.corral')
    .option('--executors <n>', 'how many executors (dev-1 … dev-N)', positiveInt('--executors'), 1)
    .option('--executor-cores <n>', `cores each dev executor offers (default: the machine's, at least ${DEV_MIN_CORES}: the process driver does not pin cores)`, positiveInt('--executor-cores'))
    .option('--executor-memory-mb <n>', 'memory (MB) each dev executor advertises (default: the machine\'s)', positiveInt('--executor-memory-mb'))
    .option('--controllers <n>', 'controllers, each its own process on --port, --port+1, … (more than one needs --store postgres://…; docs/ha.md)', positiveInt('--controllers'), 1)
    .option('--store <url>', 'a postgres:// store shared by the controllers (default: SQLite in the data dir, one controller)')
    .action(async (opts: { port: number; host: string; dataDir: string; executors: number; executorCores?: number; executorMemoryMb?: number; controllers: number; store?: string }) => {
      // Imported here, not at the top: client commands should not pay for loading the controller.
      const starting = opts.controllers > 1 || opts.store
        ? import('../dev/dev-ha-cluster.ts').then(({ startDevHaCluster }) => startDevHaCluster({ ...opts, store: opts.store ?? '' }))
        : import('../dev/dev-cluster.ts').then(({ startDevCluster }) => startDevCluster(opts));
      // Handlers first: a Ctrl-C right after the banner (or during the start) must stop what
      // was started, not kill this process with its executors left running.
      onShutdownSignals(async () => (await starting.catch(() => undefined))?.stop(), {
        signals: ['SIGINT', 'SIGTERM', 'SIGHUP'],
        onSignal: (signal) => process.stdout.write(`\n${signal}: stopping the dev cluster…\n`),
        onError: (error) => process.stderr.write(`corral dev: shutdown failed: ${error.message}\n`),
      });
      try {
        await starting;
      } catch (error) {
        process.stderr.write(`corral dev: ${(error as Error).message}\n`);
        process.exit(1);
      }
    });
}
