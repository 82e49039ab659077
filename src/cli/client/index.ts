/**
 * Client commands of the `corral` binary: Drove's CLI command set (apps,
 * appinstances, tasks, cluster, executor, describe, config) plus corral's `ops` and
 * `completion`, with Drove's global options.
 *
 * Global options go BEFORE the subcommand (`corral -p secret apps scale x 3 -p 4`): the
 * program uses commander's positional options, as Drove's argparse CLI does, which is what lets
 * `-p/--password` and `-t/--auth-header` coexist with the operation commands' own
 * `-p/--parallelism` and `-t/--timeout`.
 */
import type { Command } from 'commander';
import { registerAppInstancesCommands } from './appinstances-commands.ts';
import { registerAppsCommands } from './apps-commands.ts';
import { registerClusterCommands } from './cluster-commands.ts';
import { registerConfigCommands } from './config-commands.ts';
import { registerDescribeCommands } from './describe-commands.ts';
import { outputOption } from './command-context.ts';
import { EXIT, exitCodeLines } from './exit-codes.ts';
import { registerExecutorCommands } from './executor-commands.ts';
import { registerLocalServicesCommands } from './localservices-commands.ts';
import { registerLsInstancesCommands } from './lsinstances-commands.ts';
import { registerOpsCommands } from './ops-commands.ts';
import { registerCompletionCommand } from './shell-completion.ts';
import { registerTasksCommands } from './tasks-commands.ts';

/** The `corral --help` epilog: where settings come from, the option clash, exit codes. */
export function helpEpilog(): string {
  return [
    '',
    'Connection settings: flags (before the command) win; with -c NAME, that cluster from the',
    'config file; else CORRAL_ENDPOINT / CORRAL_USERNAME / CORRAL_PASSWORD / CORRAL_AUTH_HEADER;',
    'else the current cluster of the config file (-f FILE, $CORRAL_CONFIG or ~/.corral).',
    'With several endpoints (-e a,b) the CLI pings each and talks to the leader.',
    '',
    'Global options go before the command: "corral -u admin -p secret apps scale myapp-1 3 -p 4"',
    '(the first -p is the password, the second the operation\'s parallelism).',
    '',
    'Exit codes:',
    ...exitCodeLines(),
    '',
    'Docs: docs/cli.md',
  ].join('\n');
}

export function registerClientCommands(program: Command): void {
  program.enablePositionalOptions();
  program
    .option('-e, --endpoint <urls>', 'controller URL(s), comma-separated; the leader is found by ping (env CORRAL_ENDPOINT)')
    .option('-u, --username <user>', 'basic-auth user (env CORRAL_USERNAME)')
    .option('-p, --password <password>', 'basic-auth password (env CORRAL_PASSWORD)')
    .option('-t, --auth-header <value>', 'send this Authorization header instead of basic auth (env CORRAL_AUTH_HEADER)')
    .option('-c, --cluster <name>', 'use this named cluster from the config file')
    .option('-f, --file <path>', 'config file (default: $CORRAL_CONFIG, else ~/.corral)')
    .option('-i, --insecure', 'skip TLS certificate checks')
    .option('-d, --debug', 'print each HTTP request and response line on stderr, and stack traces')
    .addOption(outputOption());

  const apps = registerAppsCommands(program);
  registerAppInstancesCommands(program);
  // Drove's documented `drove -c local apps appinstances kill …` spelling works too.
  registerAppInstancesCommands(apps, { hidden: true });
  registerLocalServicesCommands(program);
  registerLsInstancesCommands(program);
  registerTasksCommands(program);
  registerClusterCommands(program);
  registerExecutorCommands(program);
  registerDescribeCommands(program);
  registerConfigCommands(program);
  registerOpsCommands(program);
  registerCompletionCommand(program);

  program.addHelpText('after', helpEpilog());
  applyUsageErrorHandling(program);
  // Commands attached at dispatch time (the executor agent joins the `executor` group as its
  // default subcommand then) get the same treatment.
  program.hook('preSubcommand', (_program, subcommand) => applyUsageErrorHandling(subcommand));
  // `corral events -n 1000 | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.OK);
    throw error;
  });
}

/**
 * Every command (server roles included, so the binary behaves one way) reports usage errors as
 * one line that names the problem and the help to read, and exits USAGE; help and version
 * exit 0.
 */
function applyUsageErrorHandling(command: Command): void {
  const path = commandPath(command);
  command
    .showSuggestionAfterError(true)
    .configureOutput({
      outputError: (text, write) => write(`corral: ${usageProblem(text)}; see "${path} --help"\n`),
    })
    .exitOverride((error) => {
      process.exit(error.exitCode === 0 ? EXIT.OK : EXIT.USAGE);
    });
  for (const sub of command.commands) applyUsageErrorHandling(sub);
}

/**
 * Commander's message as one clause: "error: too many arguments for 'list'. Expected 0 arguments
 * but got 1." becomes "too many arguments for 'list': expected 0 arguments but got 1", so the
 * "; see …" that follows reads as one sentence.
 */
export function usageProblem(text: string): string {
  return text
    .replace(/^error: /, '')
    .trim()
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\.\s+(?=\S)([A-Z](?=[a-z]))?/g, (_match, capital: string | undefined) => `: ${capital?.toLowerCase() ?? ''}`)
    .replace(/\.$/, '');
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
