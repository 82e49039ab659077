/**
 * `corral controller --config FILE [--port N] [--host H] [--store URL] [--advertise-url URL]`: runs a controller until
 * SIGINT/SIGTERM, then shuts it down in order. Configuration problems and start-up failures
 * (store locked by another controller, port in use) are one line on stderr and exit code 1.
 * `CORRAL_CLUSTER_SECRET` in the environment sets the cluster secret (it wins over the file), so
 * it need not be written down; beyond loopback the defaults are refused (config-safety.ts).
 */
import { type Command, InvalidArgumentError } from 'commander';
import { createLogger } from '../common/logger.ts';
import { ConfigError, readControllerConfig } from '../controller/config-loader.ts';
import { configWarnings, exposureProblems } from '../controller/config-safety.ts';
import type { ControllerConfig } from '../controller/config.ts';
import type { RunningController } from '../controller/controller.ts';
import { onShutdownSignals } from './shutdown-signals.ts';

interface ControllerFlags {
  config?: string;
  port?: number;
  host?: string;
  store?: string;
  advertiseUrl?: string;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError(`--port must be a whole number from 0 to 65535, got "${value}"`);
  return n;
}

/**
 * Builds the config from the file, the flags and CORRAL_CLUSTER_SECRET (flags and the environment
 * win), refusing one that would expose the defaults (config-safety.ts); returns its warnings too.
 */
export async function controllerConfigFromFlags(flags: ControllerFlags, env: NodeJS.ProcessEnv = process.env): Promise<{ config: ControllerConfig; warnings: string[] }> {
  const overrides: Partial<ControllerConfig> = {};
  if (flags.port !== undefined) overrides.port = flags.port;
  if (flags.host !== undefined) overrides.host = flags.host;
  if (flags.store !== undefined) overrides.store = flags.store;
  if (flags.advertiseUrl !== undefined) overrides.advertiseUrl = advertiseUrl(flags.advertiseUrl);
  const secret = env.CORRAL_CLUSTER_SECRET;
  if (secret !== undefined && secret !== '') {
    if (secret.length < 8) throw new ConfigError('CORRAL_CLUSTER_SECRET: must be at least 8 characters');
    overrides.clusterSecret = secret;
  }
  const { config, explicit } = await readControllerConfig(flags.config, overrides);
  const problems = exposureProblems(config, explicit);
  if (problems.length > 0) throw new ConfigError(`${flags.config ?? '(no config file)'}: ${problems.join('; ')}`);
  return { config, warnings: configWarnings(config, explicit) };
}

function advertiseUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
  } catch {
    // answered below
  }
  throw new ConfigError(`--advertise-url must be an http(s) URL such as http://ctl-1.example.com:4000, got "${value}"`);
}

export function registerControllerCommand(program: Command): void {
  program
    .command('controller')
    .description('run a controller: HTTP API, executor channel, scheduler and operations')
    .option('-c, --config <file>', 'configuration file (YAML or JSON); defaults apply without one')
    .option('--port <n>', 'HTTP port (overrides the file; 0 picks a free port)', port)
    .option('--host <host>', 'address to listen on (overrides the file)')
    .option('--store <url>', 'sqlite:PATH or postgres://… (overrides the file); several controllers may share a postgres:// store (docs/ha.md)')
    .option('--advertise-url <url>', 'the URL other controllers, executors and clients reach this one at (overrides the file)')
    .action(async (flags: ControllerFlags) => {
      const logger = createLogger('controller');
      let controller: RunningController;
      try {
        const { config, warnings } = await controllerConfigFromFlags(flags);
        for (const warning of warnings) logger.warn({ config: flags.config }, warning);
        // Loaded on demand so client commands do not pay for the controller's modules.
        const { startController } = await import('../controller/controller.ts');
        controller = await startController(config, { logger });
        // The process is this controller's alone (unlike tests or `corral dev`, which hold several).
        const { MemoryReturn } = await import('../controller/memory-return.ts');
        new MemoryReturn({ thresholdMb: config.memoryReturnMb, logger: logger.child({ component: 'memory' }) }).start();
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
