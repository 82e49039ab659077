/** Server roles of the `corral` binary: controller, executor, dev. */
import { type Command, InvalidArgumentError } from 'commander';
import { registerControllerCommand } from './controller-command.ts';
import { registerExecutorCommand } from './executor-command.ts';
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
  program
    .command('dev')
    .description('start a local cluster: a controller on embedded SQLite plus local executors (process driver)')
    .option('--port <n>', 'controller HTTP port', positiveInt('--port'), 4000)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--data-dir <dir>', 'where the database and executor state live', './.corral')
    .option('--executors <n>', 'how many executors (dev-1 … dev-N)', positiveInt('--executors'), 1)
    .option('--executor-cores <n>', 'cores each dev executor advertises', positiveInt('--executor-cores'), 16)
    .option('--executor-memory-mb <n>', 'memory (MB) each dev executor advertises (default: the machine\'s)', positiveInt('--executor-memory-mb'))
    .action(async (opts: { port: number; host: string; dataDir: string; executors: number; executorCores: number; executorMemoryMb?: number }) => {
      // Imported here, not at the top: client commands should not pay for loading the controller.
      const { startDevCluster } = await import('../dev/dev-cluster.ts');
      let cluster;
      try {
        cluster = await startDevCluster(opts);
      } catch (error) {
        process.stderr.write(`corral dev: ${(error as Error).message}\n`);
        process.exit(1);
      }
      onShutdownSignals(() => cluster.stop(), {
        signals: ['SIGINT', 'SIGTERM', 'SIGHUP'],
        onSignal: (signal) => process.stdout.write(`\n${signal}: stopping the dev cluster…\n`),
        onError: (error) => process.stderr.write(`corral dev: shutdown failed: ${error.message}\n`),
      });
    });
}
