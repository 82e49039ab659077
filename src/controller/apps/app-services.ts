/**
 * What the controller's background keepers of applications (reconciler, blacklist mover,
 * retention sweeper) work with: the context, the app model, the operation engine and the
 * commands that submit operations through it, handed over as one bundle.
 */
import type { ControllerContext } from '../context.ts';
import type { AppCommands } from './app-commands.ts';
import type { AppModel } from './app-model.ts';
import type { Operations } from '../operations/operations-port.ts';

export interface AppServices {
  ctx: ControllerContext;
  model: AppModel;
  operations: Operations;
  commands: AppCommands;
}
