/**
 * What every client command gets: the resolved HTTP client (built lazily, so `config` and
 * `completion` never need an endpoint), output helpers, a clock, and `runAction`, the one
 * place where errors become a single stderr line and an exit code.
 */
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { systemClock, type Clock } from '../../common/clock.ts';
import { parseDuration } from '../../common/durations.ts';
import { resolveConnection, type GlobalOptions } from './cluster-config.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { HttpClient } from './http-client.ts';
import { renderJson } from './output-format.ts';

export interface CommandContext {
  /** The HTTP client for the configured cluster (resolves settings on first use). */
  client(): HttpClient;
  /** The merged global options (before the subcommand). */
  globals: GlobalOptions;
  clock: Clock;
  /** Writes a line (or block) to stdout. */
  print(text: string): void;
  /** Prints data as pretty JSON. */
  printJson(value: unknown): void;
  /** Writes a line to stderr (progress, notes), keeping stdout for results. */
  note(text: string): void;
}

export type ActionHandler = (ctx: CommandContext, args: string[], opts: Record<string, unknown>, command: Command) => Promise<number | void>;

/**
 * Wraps a command handler for commander: builds the context, runs the handler, and exits with
 * its code, or prints a CliError as one line and exits with that error's code. Anything else is
 * a bug; it is still one line (the stack only with -d/--debug).
 */
export function runAction(handler: ActionHandler): (...commanderArgs: unknown[]) => Promise<void> {
  return async (...commanderArgs: unknown[]) => {
    const command = commanderArgs[commanderArgs.length - 1] as Command;
    const globals = globalOptions(command);
    let client: HttpClient | undefined;
    const ctx: CommandContext = {
      globals,
      clock: systemClock,
      client: () => (client ??= new HttpClient(resolveConnection(globals))),
      print: (text) => {
        process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      },
      printJson: (value) => {
        process.stdout.write(`${renderJson(value)}\n`);
      },
      note: (text) => {
        process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
      },
    };
    let code: number;
    try {
      const result = await handler(ctx, command.processedArgs as string[], command.opts(), command);
      code = typeof result === 'number' ? result : EXIT.OK;
    } catch (error) {
      code = reportError(error, Boolean(globals.debug));
    }
    await flushed(process.stdout);
    await flushed(process.stderr);
    process.exit(code);
  };
}

/**
 * Resolves once everything written to `stream` so far has been handed to the OS: writes to a
 * pipe are asynchronous, and exiting earlier would cut off output a slow reader has not taken
 * yet (seen: 10 MB piped into a slow reader arrived as 64 KiB).
 */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    stream.write('', () => resolve());
  });
}

/**
 * The global options only: they live on the root program. (`optsWithGlobals` would let a
 * subcommand's own `--file` or `--endpoint` shadow them.)
 */
export function globalOptions(command: Command): GlobalOptions {
  let root = command;
  while (root.parent) root = root.parent;
  return root.opts() as GlobalOptions;
}

/** Prints an error as one line on stderr and returns its exit code. */
export function reportError(error: unknown, debug: boolean): number {
  if (error instanceof CliError) {
    const details = error.details.length ? `: ${error.details.join('; ')}` : '';
    process.stderr.write(`corral: ${error.message}${details}\n`);
    return error.exitCode;
  }
  if (error instanceof Error && error.name === 'AbortError') {
    process.stderr.write('corral: interrupted\n');
    return EXIT.INTERRUPTED;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`corral: unexpected error: ${message}${debug ? '' : ' (run with -d before the command for details)'}\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return EXIT.FAILED;
}

/**
 * Reads a JSON spec file (`-` = stdin). Missing, unreadable or non-JSON files are reported
 * with their path and exit BAD_INPUT; the JSON itself is validated by the controller.
 */
export function readSpecFile(file: string): Record<string, unknown> {
  const label = file === '-' ? 'standard input' : file;
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new CliError(EXIT.BAD_INPUT, `cannot read spec file ${label}: ${reason}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(EXIT.BAD_INPUT, `spec file ${label} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(EXIT.BAD_INPUT, `spec file ${label} must hold one JSON object (the spec), not ${Array.isArray(parsed) ? 'an array' : typeof parsed}`);
  }
  return parsed as Record<string, unknown>;
}

/** Commander parser for whole numbers within a range (usage error otherwise). */
export function intOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, got "${value}"`);
    }
    return n;
  };
}

/** Commander parser for Dropwizard durations (`30s`, `5 minutes`), as the controller accepts. */
export function durationOption(name: string) {
  return (value: string): string => {
    const parsed = parseDuration(value);
    if ('error' in parsed) throw new InvalidArgumentError(`${name}: ${parsed.error}`);
    return value;
  };
}

/** `--json` on reads. */
export function addJsonOption(command: Command): Command {
  return command.option('--json', 'print the raw JSON data instead of a table');
}

/** `-s/--sort N` and `-r/--reverse` on lists (Drove's CLI: 0-based column index). */
export function addSortOptions(command: Command): Command {
  return command
    .addOption(new Option('-s, --sort <column>', 'sort by this column (0 = first)').argParser(intOption('--sort', 0)))
    .option('-r, --reverse', 'reverse the order');
}

export interface OperationOptions {
  parallelism: number;
  timeout: string;
  wait?: boolean;
}

/**
 * `-p/--parallelism`, `-t/--timeout`, `-w/--wait` on operation commands. These short flags
 * clash with the global `-p/--password` and `-t/--auth-header`; as in Drove's CLI the global
 * ones go before the subcommand and these after it.
 */
export function addOperationOptions(command: Command, options: { parallelism?: boolean; defaultTimeout?: string } = {}): Command {
  if (options.parallelism !== false) {
    command.addOption(new Option('-p, --parallelism <n>', 'how many instances to act on at once (1-512)').argParser(intOption('--parallelism', 1, 512)).default(1));
  }
  return command
    .addOption(new Option('-t, --timeout <duration>', 'timeout for each step, e.g. 30s, 5m').argParser(durationOption('--timeout')).default(options.defaultTimeout ?? '5 minutes'))
    .option('-w, --wait', 'follow the operation to its end with live progress; exit 0 only if it COMPLETED');
}

/** The ClusterOpSpec sent with an operation (API.md §2.2). */
export function opSpecOf(opts: Record<string, unknown>): { timeout: string; parallelism: number; failureStrategy: 'STOP' } {
  return { timeout: String(opts.timeout ?? '5 minutes'), parallelism: Number(opts.parallelism ?? 1), failureStrategy: 'STOP' };
}
