/**
 * Child-process entry for test executors: the real `corral executor` agent command, registered
 * on its own so test executors do not depend on every other command of the binary loading.
 * Used with `startTestExecutor(url, { isolated: true })`.
 */
import { Command } from 'commander';
import { registerExecutorCommand } from '../../src/cli/executor-command.ts';

const program = new Command('corral');
// The agent joins the `executor` command group as its default subcommand (the client CLI owns the group).
program.command('executor').description('executor agent');
registerExecutorCommand(program);
await program.parseAsync(process.argv);
