/**
 * Child-process entry for test controllers: the real `corral controller` command, registered
 * on its own so a test controller does not depend on the other commands of the binary loading.
 * Used with `startTestController({ mode: 'child', isolated: true })`.
 */
import { Command } from 'commander';
import { registerControllerCommand } from '../../src/cli/controller-command.ts';

const program = new Command('corral');
registerControllerCommand(program);
await program.parseAsync(process.argv);
