/**
 * The `corral` executable: server roles (controller, executor, dev, sim) and the client CLI
 * (apps, appinstances, tasks, cluster, executor, describe, config, ops).
 */
import { Command } from 'commander';
import { registerServerCommands } from './server-commands.ts';
import { registerClientCommands } from './client/index.ts';

const program = new Command('corral')
  .description('corral: a container and task orchestrator, wire-compatible with Drove')
  .version('0.1.0');

registerServerCommands(program);
registerClientCommands(program);

await program.parseAsync(process.argv);
