/** `corral lsinstances …`: instances of a local service, their logs, replace and kill (docs/api.md §8, §5). */
import type { Command } from 'commander';
import type { LocalServiceInstanceInfo } from '../../api/localservice-types.ts';
import { addOperationOptions, opSpecOf, runAction } from './command-context.ts';
import { seg } from './http-client.ts';
import { addInstanceInfoCommand, addInstanceListCommand, instanceDetailsText, type InstanceOwner } from './instance-commands.ts';
import { addLogCommands } from './log-commands.ts';
import { localServiceInstanceLogTarget } from './log-files.ts';
import { LOCAL_SERVICE_OPERATIONS } from './localservices-commands.ts';
import { submitOperation } from './operation-watch.ts';

const LOCAL_SERVICE: InstanceOwner<LocalServiceInstanceInfo> = {
  argument: '<serviceId>',
  noun: 'a local service',
  path: (serviceId) => `/localservices/${seg(serviceId)}`,
  noActiveInstances: (serviceId) => `No active instances of ${serviceId} (corral localservices activate ${serviceId} starts them)`,
  details: (i) => instanceDetailsText(i, [['Service Id', i.serviceId], ['Service Name', i.serviceName]]),
};

export function registerLsInstancesCommands(program: Command): Command {
  const group = program.command('lsinstances').description('local-service instances: list, info, logs, tail, download, replace, kill');

  addInstanceListCommand(group, LOCAL_SERVICE);
  addInstanceInfoCommand(group, LOCAL_SERVICE);

  addLogCommands(group, { noun: 'a local-service instance', args: ['<serviceId>', '<instanceId>'], target: localServiceInstanceLogTarget });

  addOperationOptions(group.command('replace').description('replace instances on their executors (start new, then stop old)').argument('<serviceId>').argument('<instanceIds...>'))
    .option('--stop-first', 'stop each old instance before starting its replacement')
    .action(runAction(async (ctx, [serviceId, instanceIds], opts) => {
      const ids = instanceIds as unknown as string[];
      const body = { type: 'REPLACE_INSTANCES', serviceId, instanceIds: ids, stopFirst: Boolean(opts.stopFirst), opSpec: opSpecOf(opts) };
      return (await submitOperation(ctx, { path: LOCAL_SERVICE_OPERATIONS, body, label: `replacement of ${ids.length} instance(s) of ${serviceId}`, wait: Boolean(opts.wait) })).code;
    }));

  addOperationOptions(group.command('kill').description('stop healthy instances (an ACTIVE service gets new ones)').argument('<serviceId>').argument('<instanceIds...>'))
    .action(runAction(async (ctx, [serviceId, instanceIds], opts) => {
      const ids = instanceIds as unknown as string[];
      const body = { type: 'STOP_INSTANCES', serviceId, instanceIds: ids, opSpec: opSpecOf(opts) };
      return (await submitOperation(ctx, { path: LOCAL_SERVICE_OPERATIONS, body, label: `stop of ${ids.length} instance(s) of ${serviceId}`, wait: Boolean(opts.wait) })).code;
    }));

  return group;
}
