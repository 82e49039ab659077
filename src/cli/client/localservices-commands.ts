/** `corral localservices …`: local-service reads and operations (docs/api.md §8). */
import type { Command } from 'commander';
import type { LocalServiceSummary } from '../../api/localservice-types.ts';
import {
  addOperationOptions, addOutputOptions, addSortOptions, intOption, opSpecOf, readSpecFile, runAction, type CommandContext,
} from './command-context.ts';
import { seg } from './http-client.ts';
import { submitOperation } from './operation-watch.ts';
import { formatMap, formatMemoryMb, formatTime, renderKeyValues, type Column } from './output-format.ts';

export const LOCAL_SERVICE_OPERATIONS = '/localservices/operations';
const MAX_PER_HOST = 256;

export const LOCAL_SERVICE_COLUMNS: Column<LocalServiceSummary>[] = [
  { header: 'Id', value: (s) => s.id },
  { header: 'Name', value: (s) => s.name },
  { header: 'State', value: (s) => s.state },
  { header: 'Activation', value: (s) => s.activationState },
  { header: 'Per Host', value: (s) => s.instancesPerHost },
  { header: 'Healthy', value: (s) => s.healthyInstances },
  { header: 'Total CPU', value: (s) => s.totalCPUs },
  { header: 'Total Memory', value: (s) => s.totalMemory, format: (v) => formatMemoryMb(v as number) },
  { header: 'Created', value: (s) => s.created, format: (v) => formatTime(v as number) },
  { header: 'Updated', value: (s) => s.updated, format: (v) => formatTime(v as number) },
  { header: 'Tags', value: (s) => formatMap(s.tags), wide: true },
];

export async function listLocalServices(ctx: CommandContext): Promise<LocalServiceSummary[]> {
  const data = await ctx.client().api<Record<string, LocalServiceSummary>>('GET', '/localservices');
  return Object.values(data ?? {});
}

export function localServiceSummaryText(s: LocalServiceSummary): string {
  return renderKeyValues([
    ['Id', s.id],
    ['Name', s.name],
    ['State', s.state],
    ['Activation State', s.activationState],
    ['Instances Per Host', s.instancesPerHost],
    ['Healthy Instances', s.healthyInstances],
    ['Total CPUs', s.totalCPUs],
    ['Total Memory', formatMemoryMb(s.totalMemory)],
    ['Tags', formatMap(s.tags)],
    ['Created', formatTime(s.created)],
    ['Updated', formatTime(s.updated)],
  ]);
}

/** One operation that names only the service (and an op spec where it takes one). */
function simple(group: Command, name: string, description: string, type: string, label: string, options: { opSpec?: boolean } = {}): void {
  const command = group.command(name).description(description).argument('<serviceId>');
  (options.opSpec ? addOperationOptions(command) : command.option('-w, --wait', 'follow the operation to its end with live progress; exit 0 only if it COMPLETED'))
    .action(runAction(async (ctx, [serviceId], opts) => {
      const body: Record<string, unknown> = { type, serviceId };
      if (options.opSpec) body.opSpec = opSpecOf(opts);
      return (await submitOperation(ctx, { path: LOCAL_SERVICE_OPERATIONS, body, label: `${label} of ${serviceId}`, wait: Boolean(opts.wait) })).code;
    }));
}

export function registerLocalServicesCommands(program: Command): Command {
  const group = program.command('localservices')
    .description('local services (instancesPerHost instances on every executor): list, inspect, create, activate, deactivate, restart, destroy');

  addSortOptions(addOutputOptions(group.command('list').description('list all local services')))
    .action(runAction(async (ctx, _args, opts) => {
      const list = await listLocalServices(ctx);
      if (ctx.structured) return ctx.printData(list);
      ctx.printTable(list, LOCAL_SERVICE_COLUMNS, opts, 'No local services (corral localservices create SPEC_FILE adds one)');
    }));

  addOutputOptions(group.command('summary').description('summary of one local service').argument('<serviceId>'))
    .action(runAction(async (ctx, [serviceId]) => {
      const summary = await ctx.client().api<LocalServiceSummary>('GET', `/localservices/${seg(serviceId)}`);
      if (ctx.structured) return ctx.printData(summary);
      ctx.print(localServiceSummaryText(summary));
    }));

  addOutputOptions(group.command('spec').description('the local-service spec as submitted (secrets masked), as JSON (-o yaml: YAML)').argument('<serviceId>'))
    .action(runAction(async (ctx, [serviceId]) => {
      ctx.printData(await ctx.client().api('GET', `/localservices/${seg(serviceId)}/spec`));
    }));

  group.command('create').description('create a local service (INACTIVE) from a JSON or YAML spec file ("-" = stdin)').argument('<specFile>')
    .requiredOption('-n, --instances-per-host <n>', `instances on every executor once active (1-${MAX_PER_HOST})`, intOption('--instances-per-host', 1, MAX_PER_HOST))
    .option('-w, --wait', 'wait until the creation is recorded')
    .action(runAction(async (ctx, [specFile], opts) => {
      const spec = readSpecFile(specFile);
      const body = { type: 'CREATE', spec, instancesPerHost: opts.instancesPerHost };
      const label = `creation of local service ${typeof spec.name === 'string' && typeof spec.version === 'string' ? `${spec.name}-${spec.version}` : `from ${specFile}`}`;
      return (await submitOperation(ctx, { path: LOCAL_SERVICE_OPERATIONS, body, label, wait: Boolean(opts.wait) })).code;
    }));

  simple(group, 'activate', 'activate: instancesPerHost instances on every executor', 'ACTIVATE', 'activation');
  simple(group, 'deactivate', 'deactivate: stop every instance', 'DEACTIVATE', 'deactivation');
  simple(group, 'deploy-test-instance', 'run one test instance in the cluster (CONFIG_TESTING)', 'DEPLOY_TEST_INSTANCE', 'test deployment');
  simple(group, 'adjust', 'bring the instances to what the service asks for now', 'ADJUST_INSTANCES', 'adjustment', { opSpec: true });
  simple(group, 'destroy', 'destroy a local service (it must be deactivated first)', 'DESTROY', 'destruction');

  group.command('update-instance-count').description('change instancesPerHost (and adjust)').argument('<serviceId>')
    .argument('<instancesPerHost>', `instances on every executor (1-${MAX_PER_HOST})`, intOption('instancesPerHost', 1, MAX_PER_HOST))
    .option('-w, --wait', 'follow the operation to its end with live progress; exit 0 only if it COMPLETED')
    .action(runAction(async (ctx, [serviceId, count], opts) => {
      const body = { type: 'UPDATE_INSTANCE_COUNT', serviceId, instancesPerHost: Number(count) };
      return (await submitOperation(ctx, { path: LOCAL_SERVICE_OPERATIONS, body, label: `instance count update of ${serviceId} to ${count}`, wait: Boolean(opts.wait) })).code;
    }));

  addOperationOptions(group.command('restart').description('rolling restart: replace every healthy instance on its own executor').argument('<serviceId>'))
    .option('--stop-first', 'stop each old instance before starting its replacement')
    .action(runAction(async (ctx, [serviceId], opts) => {
      const body = { type: 'RESTART', serviceId, stopFirst: Boolean(opts.stopFirst), clusterOpSpec: opSpecOf(opts) };
      return (await submitOperation(ctx, { path: LOCAL_SERVICE_OPERATIONS, body, label: `restart of ${serviceId}`, wait: Boolean(opts.wait) })).code;
    }));

  group.command('cancelop').description('cancel the adjustment or replacement running on a local service (a cancelled adjustment deactivates it)').argument('<serviceId>')
    .action(runAction(async (ctx, [serviceId]) => {
      await ctx.client().api('POST', `${LOCAL_SERVICE_OPERATIONS}/${seg(serviceId)}/cancel`);
      ctx.print(`Cancel of the current operation on ${serviceId} requested`);
    }));

  return group;
}
