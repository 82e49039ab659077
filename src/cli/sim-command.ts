/**
 * `corral sim --executors N [--controller URL]`: a simulated fleet of N executors in this process
 * (src/sim/sim-fleet.ts) against the given controller, or against one it starts itself. Runs
 * until SIGINT/SIGTERM; takes commands on stdin and, with `--control-port`, over HTTP
 * (src/sim/sim-control.ts). A machine that cannot carry N gets fewer, and is told why.
 */
import { createInterface } from 'node:readline';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createLogger } from '../common/logger.ts';
import { onShutdownSignals } from './shutdown-signals.ts';

interface SimCliOptions {
  executors: number;
  controller?: string;
  secret?: string;
  store?: string;
  port?: number;
  cores: number;
  memoryMb: number;
  racks: number;
  tags: string;
  taggedShare: number;
  prefix: string;
  prepareMs: number;
  startMs: number;
  stopMs: number;
  healthyAfterMs: number;
  taskRunMs: number;
  startFailureRate: number;
  controlPort?: number;
  maxLoopDelayMs: number;
}

/** The dev cluster secret (a controller started without one uses it; loopback only). */
const DEV_SECRET = 'corral-dev-secret';

function whole(flag: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${flag} must be a whole number from ${min} to ${max}, got "${value}"`);
    return n;
  };
}

function share(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`${flag} must be a share from 0 to 1 (e.g. 0.05), got "${value}"`);
    return n;
  };
}

export function registerSimCommand(program: Command): void {
  program.addCommand(new Command('sim')
    .description('simulate a fleet: N executor agents in one process (mock driver, real control channels) against a controller')
    .requiredOption('--executors <n>', 'how many simulated executors', whole('--executors', 1, 100_000))
    .option('--controller <urls>', 'controller URL(s), comma-separated (default: start one here, SQLite in a temp dir)')
    .addOption(new Option('--secret <secret>', 'cluster secret (default: the dev secret of a controller started here)').env('CORRAL_CLUSTER_SECRET'))
    .option('--store <url>', 'store of the controller started here (sqlite:PATH or postgres://…)')
    .option('--port <n>', 'port of the controller started here (default: a free one)', whole('--port', 1, 65_535))
    .option('--cores <n>', 'cores each simulated executor offers', whole('--cores', 1), 32)
    .option('--memory-mb <n>', 'memory (MB) each simulated executor offers', whole('--memory-mb', 1), 65_536)
    .option('--racks <n>', 'racks the fleet is spread over (rack-1 … rack-N)', whole('--racks', 1), 10)
    .option('--tags <a,b>', 'tags handed out round-robin to the tagged share (a tagged executor takes only MATCH_TAG work)', 'ssd,gpu')
    .option('--tagged-share <share>', 'share of executors that carry a tag (0–1)', share('--tagged-share'), 0.2)
    .option('--prefix <name>', 'hostname prefix (sim-0001 …); two fleets on one controller need different ones', 'sim')
    .option('--prepare-ms <ms>', 'time a workload spends preparing', whole('--prepare-ms', 0), 0)
    .option('--start-ms <ms>', 'time a workload spends starting', whole('--start-ms', 0), 0)
    .option('--stop-ms <ms>', 'time a graceful stop takes', whole('--stop-ms', 0), 0)
    .option('--healthy-after-ms <ms>', 'checks fail until this long after the start', whole('--healthy-after-ms', 0), 0)
    .option('--task-run-ms <ms>', 'how long a task runs (a spec\'s MOCK_RUN_MS wins)', whole('--task-run-ms', 0), 0)
    .option('--start-failure-rate <share>', 'share of starts that fail (0–1)', share('--start-failure-rate'), 0)
    .option('--control-port <n>', 'serve the commands over HTTP on 127.0.0.1:N (0 picks one)', whole('--control-port', 0, 65_535))
    .option('--max-loop-delay-ms <ms>', 'stop adding executors when the event loop falls this far behind', whole('--max-loop-delay-ms', 10), 1_000)
    .action(runSim));
}

async function runSim(opts: SimCliOptions): Promise<void> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const fail = (message: string): never => {
    process.stderr.write(`corral sim: ${message}\n`);
    process.exit(1);
  };
  if (opts.controller && (opts.store || opts.port)) fail('--store and --port are for the controller sim starts itself; leave them out with --controller');
  if (opts.controller && !opts.secret) fail('--secret (or CORRAL_CLUSTER_SECRET) is required with --controller');
  // Loaded here, not at the top: client commands should not pay for loading the executor.
  const [{ SimFleet }, { startOwnController }, { runSimCommand, serveSimControl }] = await Promise.all([
    import('../sim/sim-fleet.ts'), import('../sim/sim-controller.ts'), import('../sim/sim-control.ts'),
  ]);
  const secret = opts.secret ?? DEV_SECRET;
  let own: Awaited<ReturnType<typeof startOwnController>> | undefined;
  if (!opts.controller) {
    try {
      own = await startOwnController({ secret, store: opts.store, port: opts.port });
    } catch (error) {
      fail(`starting a controller: ${(error as Error).message}`);
    }
    say(`corral sim: started a controller at ${own!.url} (pid ${own!.pid}; dashboard and API with admin/admin)`);
  }
  const controllers = opts.controller ? opts.controller.split(',').map((u) => u.trim()).filter(Boolean) : [own!.url];
  const fleet = new SimFleet({
    controllers, secret, executors: opts.executors, cores: opts.cores, memoryMb: opts.memoryMb, racks: opts.racks,
    tags: opts.tags.split(',').map((t) => t.trim()).filter(Boolean), taggedShare: opts.taggedShare, prefix: opts.prefix,
    behaviour: {
      prepareMs: opts.prepareMs, startMs: opts.startMs, stopMs: opts.stopMs, healthyAfterMs: opts.healthyAfterMs,
      taskRunMs: opts.taskRunMs, startFailureRate: opts.startFailureRate,
    },
    logger: createLogger('sim', { level: process.env.CORRAL_LOG_LEVEL ?? 'error' }),
    maxLoopDelayMs: opts.maxLoopDelayMs,
  });
  let control: { port: number; close: () => Promise<void> } | undefined;
  onShutdownSignals(async () => {
    await control?.close();
    await fleet.stop();
    await own?.stop();
  }, { onSignal: (signal) => say(`\n${signal}: stopping the simulated fleet${own ? ' and its controller' : ''}…`) });

  const started = Date.now();
  const verdict = await fleet.start((n) => {
    if (n % 250 === 0 || n === opts.executors) say(`corral sim: ${n} executors started`);
  }).catch((error: unknown) => fail((error as Error).message));
  if (verdict.reason) say(`corral sim: this machine carries ${verdict.carry} of the ${opts.executors} executors asked: ${verdict.reason}. Running ${verdict.carry}.`);
  // Registration is asynchronous (hello, welcome): give the fleet a moment to be seen whole.
  for (const deadline = Date.now() + 30_000; fleet.status().connected < fleet.status().started && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const status = fleet.status();
  say(`corral sim: ${status.started} executors started in ${((Date.now() - started) / 1000).toFixed(1)} s, ${status.connected} connected to ${controllers.join(', ')}`);
  if (opts.controlPort !== undefined) {
    control = await serveSimControl(fleet, opts.controlPort).catch((error: unknown) => fail(`control port: ${(error as Error).message}`));
    say(`corral sim: control endpoint http://127.0.0.1:${control.port} (GET /status, POST /kill?amount=10%, /partition?amount=10%, /heal, /revive)`);
  }
  say('corral sim: commands on stdin: status | kill N|P% | partition N|P% | heal | revive');
  const lines = createInterface({ input: process.stdin, terminal: false });
  lines.on('error', () => undefined); // stdin gone (its pipe reset): the control endpoint still serves
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    runSimCommand(fleet, line).then((result) => say(JSON.stringify(result)), (error: unknown) => say(`error: ${(error as Error).message}`));
  });
}
