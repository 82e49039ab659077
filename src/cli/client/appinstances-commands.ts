/** `corral appinstances …`: instances of an application, their logs, replace and kill (docs/api.md §2.8, §5). */
import type { Command } from 'commander';
import type { InstanceInfo } from '../../api/app-types.ts';
import { addOperationOptions, opSpecOf, runAction } from './command-context.ts';
import { seg } from './http-client.ts';
import { addInstanceInfoCommand, addInstanceListCommand, instanceDetailsText, type InstanceOwner } from './instance-commands.ts';
import { addLogCommands } from './log-commands.ts';
import { appInstanceLogTarget } from './log-files.ts';
import { submitOperation } from './operation-watch.ts';

const APPLICATION: InstanceOwner<InstanceInfo> = {
  argument: '<appId>',
  noun: 'an app',
  path: (appId) => `/applications/${seg(appId)}`,
  noActiveInstances: (appId) => `No active instances of ${appId} (corral apps deploy ${appId} N starts some; --old lists stopped ones)`,
  details: (i) => instanceInfoText(i),
};

export function instanceInfoText(i: InstanceInfo): string {
  return instanceDetailsText(i, [['App Id', i.appId], ['App Name', i.appName]]);
}

/** Builds the `appinstances` group under `parent` (also mounted, hidden, as `apps appinstances`). */
export function registerAppInstancesCommands(parent: Command, options: { hidden?: boolean } = {}): Command {
  const group = parent.command('appinstances', { hidden: options.hidden })
    .description('application instances: list, info, logs, tail, download, replace, kill');

  addInstanceListCommand(group, APPLICATION);
  addInstanceInfoCommand(group, APPLICATION);

  addLogCommands(group, { noun: 'an instance', args: ['<appId>', '<instanceId>'], target: appInstanceLogTarget });

  addOperationOptions(group.command('replace').description('replace instances with new ones (start new, then stop old)').argument('<appId>').argument('<instanceIds...>'))
    .option('--stop-first', 'stop each old instance before starting its replacement')
    .action(runAction(async (ctx, [appId, instanceIds], opts) => {
      const ids = instanceIds as unknown as string[];
      const body = { type: 'REPLACE_INSTANCES', appId, instanceIds: ids, stopFirst: Boolean(opts.stopFirst), opSpec: opSpecOf(opts) };
      return (await submitOperation(ctx, { path: '/applications/operations', body, label: `replacement of ${ids.length} instance(s) of ${appId}`, wait: Boolean(opts.wait) })).code;
    }));

  addOperationOptions(group.command('kill').description('stop instances; they are not replaced unless --respawn').argument('<appId>').argument('<instanceIds...>'))
    .option('--respawn', 'start replacements for the killed instances (keeps the instance count)')
    .action(runAction(async (ctx, [appId, instanceIds], opts) => {
      const ids = instanceIds as unknown as string[];
      const body = { type: 'STOP_INSTANCES', appId, instanceIds: ids, skipRespawn: !opts.respawn, opSpec: opSpecOf(opts) };
      return (await submitOperation(ctx, { path: '/applications/operations', body, label: `stop of ${ids.length} instance(s) of ${appId}`, wait: Boolean(opts.wait) })).code;
    }));

  return group;
}
