/**
 * `corral controller --config FILE [--port N] [--host H] [--store URL]`: runs a controller until
 * SIGINT/SIGTERM, then shuts it down in order. Configuration problems and start-up failures
 * (store locked by another controller, port in use) are one line on stderr and exit code 1.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { createLogger } from '../common/logger.ts';
import { loadControllerConfig } from '../controller/config-loader.ts';
import type { ControllerConfig } from '../controller/config.ts';
import type { RunningController } from '../controller/controller.ts';
import { onShutdownSignals } from './shutdown-signals.ts';

interface ControllerFlags {
  config?: string;
  port?: number;
  host?: string;
  store?: string;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError(`--port must be a whole number from 0 to 65535, got "${value}"`);
  return n;
}

/** Builds the config from the file and the flags (flags win). */
export async function controllerConfigFromFlags(flags: ControllerFlags): Promise<ControllerConfig> {
  const overrides: Partial<ControllerConfig> = {};
  if (flags.port !== undefined) overrides.port = flags.port;
  if (flags.host !== undefined) overrides.host = flags.host;
  if (flags.store !== undefined) overrides.store = flags.store;
  return loadControllerConfig(flags.config, overrides);
}

export function registerControllerCommand(program: Command): void {
  program
    .command('controller')
    .description('run a controller: HTTP API, executor channel, scheduler and operations')
    .option('-c, --config <file>', 'configuration file (YAML or JSON); defaults apply without one')
    .option('--port <n>', 'HTTP port (overrides the file; 0 picks a free port)', port)
    .option('--host <host>', 'address to listen on (overrides the file)')
    .option('--store <url>', 'sqlite:PATH or postgres://… (overrides the file)')
    .action(async (flags: ControllerFlags) => {
      const logger = createLogger('controller');
      let controller: RunningController;
      try {
        const config = await controllerConfigFromFlags(flags);
        // Loaded on demand so client commands do not pay for the controller's modules.
        const { startController } = await import('../controller/controller.ts');
        controller = await startController(config, { logger });
      } catch (error) {
        process.stderr.write(`corral controller: ${(error as Error).message}\n`);
        process.exit(1);
      }
      onShutdownSignals(() => controller.close(), {
        onSignal: (signal) => logger.info({ signal }, 'shutting down'),
        onError: (error) => process.stderr.write(`corral controller: shutdown failed: ${error.message}\n`),
      });
    });
}
