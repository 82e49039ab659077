/**
 * What every client command gets: the resolved HTTP client (built lazily, so `config` and
 * `completion` never need an endpoint), output helpers, a clock, and `runAction`, the one
 * place where errors become a single stderr line and an exit code.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { systemClock, type Clock } from '../../common/clock.ts';
import { parseDuration } from '../../common/durations.ts';
import { resolveConnection, type GlobalOptions } from './cluster-config.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { HttpClient } from './http-client.ts';
import { explainMissing } from './missing-objects.ts';
import {
  OUTPUT_FORMATS, renderData, renderTable, visibleColumns, type Column, type OutputFormat, type SortOptions,
} from './output-format.ts';
import { errorMessage } from '../../common/error-message.ts';

export interface CommandContext {
  /** The HTTP client for the configured cluster (resolves settings on first use). */
  client(): HttpClient;
  /** The merged global options (before the subcommand). */
  globals: GlobalOptions;
  clock: Clock;
  /** Writes a line (or block) to stdout. */
  print(text: string): void;
  /** `-o`/`--json`: text (the default), wide, json or yaml. */
  format: OutputFormat;
  /** True for `-o json` / `-o yaml` (and `--json`): print the data, not a view of it. */
  structured: boolean;
  /** Prints data as YAML with `-o yaml`, else as pretty JSON. */
  printData(value: unknown): void;
  /**
   * Prints rows as a table (the `wide` columns with `-o wide`), sorted by `-s/-r`; an empty list
   * is one line on stderr, `empty`, instead of a bare header (kubectl's "No resources found").
   */
  printTable<T>(rows: readonly T[], columns: readonly Column<T>[], options: SortOptions, empty: string): void;
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
    const print = (text: string) => {
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    };
    const note = (text: string) => {
      process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
    };
    let code: number;
    try {
      const format = outputFormat(command.opts(), globals);
      const ctx: CommandContext = {
        globals,
        clock: systemClock,
        client: () => (client ??= new HttpClient(resolveConnection(globals))),
        print,
        format,
        structured: format === 'json' || format === 'yaml',
        printData: (value) => print(renderData(value, format)),
        printTable: (rows, columns, options, empty) => {
          if (rows.length === 0) note(empty);
          else print(renderTable(rows, visibleColumns(columns, format), options));
        },
        note,
      };
      try {
        const result = await handler(ctx, command.processedArgs as string[], command.opts(), command);
        code = typeof result === 'number' ? result : EXIT.OK;
      } catch (error) {
        // "No state found for app: web-2" and its kin become exit 7 with what does exist.
        throw await explainMissing(ctx, command, error);
      }
    } catch (error) {
      code = reportError(error, Boolean(globals.debug));
    }
    await flushed(process.stdout);
    await flushed(process.stderr);
    process.exit(code);
  };
}

/**
 * The output format: `-o` after the command wins, then `--json`, then `-o` before the command
 * (kubectl users type it either way). `--json` with a different `-o` is a contradiction.
 */
function outputFormat(opts: Record<string, unknown>, globals: GlobalOptions): OutputFormat {
  const local = opts.output as OutputFormat | undefined;
  if (opts.json && local && local !== 'json') throw new CliError(EXIT.USAGE, `--json and -o ${local} ask for different formats; give one of them`);
  return local ?? (opts.json ? 'json' : undefined) ?? (globals.output as OutputFormat | undefined) ?? 'text';
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
  const message = errorMessage(error);
  process.stderr.write(`corral: unexpected error: ${message}${debug ? '' : ' (run with -d before the command for details)'}\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return EXIT.FAILED;
}

/**
 * Reads a spec file (`-` = stdin) in JSON or YAML: `.json` files as JSON, `.yaml`/`.yml` as
 * YAML, anything else (stdin included) as JSON if it parses, else as YAML. Missing, unreadable
 * or unparsable files are reported with their path and exit BAD_INPUT; the spec itself is
 * validated by the controller.
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
  const parsed = parseSpecText(text, file === '-' ? '' : path.extname(file).toLowerCase(), label);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(EXIT.BAD_INPUT, `spec file ${label} must hold one object (the spec), not ${Array.isArray(parsed) ? 'a list' : parsed === null ? 'nothing' : `a ${typeof parsed}`}`);
  }
  return parsed as Record<string, unknown>;
}

function parseSpecText(text: string, extension: string, label: string): unknown {
  const asJson = () => JSON.parse(text) as unknown;
  // One line: YAML errors carry the offending lines after the first.
  const asYaml = () => parseYaml(text) as unknown;
  const firstLine = (error: unknown) => (error as Error).message.split('\n')[0];
  if (extension === '.json') {
    try {
      return asJson();
    } catch (error) {
      throw new CliError(EXIT.BAD_INPUT, `spec file ${label} is not valid JSON: ${firstLine(error)}`);
    }
  }
  if (extension !== '.yaml' && extension !== '.yml') {
    try {
      return asJson();
    } catch { /* not JSON: YAML then */ }
  }
  try {
    return asYaml();
  } catch (error) {
    const what = extension === '.yaml' || extension === '.yml' ? 'valid YAML' : 'valid JSON or YAML';
    throw new CliError(EXIT.BAD_INPUT, `spec file ${label} is not ${what}: ${firstLine(error)}`);
  }
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

/** `-o json|yaml|wide` and `--json` (= `-o json`) on reads. */
export function addOutputOptions(command: Command): Command {
  return command
    .addOption(outputOption())
    .option('--json', 'print the raw JSON data instead of a table (same as -o json)');
}

/** `-o, --output <format>`: on the program (before the command) and on every read (after it). */
export function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format: json, yaml, or wide (tables with more columns)').choices(OUTPUT_FORMATS);
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

/** The ClusterOpSpec sent with an operation (docs/api.md §2.2). */
export function opSpecOf(opts: Record<string, unknown>): { timeout: string; parallelism: number; failureStrategy: 'STOP' } {
  return { timeout: String(opts.timeout ?? '5 minutes'), parallelism: Number(opts.parallelism ?? 1), failureStrategy: 'STOP' };
}
