/**
 * `corral config …`: the named clusters in the config file (see cluster-config.ts for the
 * format). None of these talk to a controller. Inside these subcommands `-p` is the password
 * and `-t` the auth header, as they are globally.
 */
import type { Command } from 'commander';
import { addOutputOptions, globalOptions, runAction } from './command-context.ts';
import {
  checkClusterName, configFilePath, loadClusterConfig, parseEndpoints, saveClusterConfig, type ClusterConfig, type ClusterEntry,
} from './cluster-config.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { type Column } from './output-format.ts';

/** Where `corral dev` listens by default, and its root user, so `config init` alone fits it. */
export const DEV_ENDPOINT = 'http://127.0.0.1:4000';
const DEV_USER = 'admin';

interface ClusterRow extends ClusterEntry {
  name: string;
  current: boolean;
}

const CLUSTER_COLUMNS: Column<ClusterRow>[] = [
  { header: 'Current', value: (r) => (r.current ? '*' : '') },
  { header: 'Name', value: (r) => r.name },
  { header: 'Endpoint', value: (r) => r.endpoint },
  { header: 'Auth', value: (r) => (r.authHeader ? 'auth header' : r.username ? `basic (${r.username})` : 'none') },
  { header: 'Insecure', value: (r) => (r.insecure ? 'yes' : '') },
];

function masked(entry: ClusterEntry): ClusterEntry {
  return {
    ...entry,
    ...(entry.password !== undefined ? { password: '***' } : {}),
    ...(entry.authHeader !== undefined ? { authHeader: '***' } : {}),
  };
}

function entryFromOptions(opts: Record<string, unknown>, defaults: Partial<ClusterEntry> = {}): ClusterEntry {
  const endpoint = (opts.endpoint as string | undefined) ?? defaults.endpoint;
  if (!endpoint) throw new CliError(EXIT.USAGE, 'missing -e/--endpoint: the controller URL(s), e.g. -e http://127.0.0.1:4000');
  parseEndpoints(endpoint, '-e/--endpoint');
  const entry: ClusterEntry = { endpoint };
  const username = (opts.username as string | undefined) ?? defaults.username;
  const password = (opts.password as string | undefined) ?? defaults.password;
  if (username !== undefined) entry.username = username;
  if (password !== undefined) entry.password = password;
  if (opts.authHeader !== undefined) entry.authHeader = String(opts.authHeader);
  if (opts.insecure) entry.insecure = true;
  return entry;
}

function connectionOptions(command: Command): Command {
  return command
    .option('-e, --endpoint <urls>', 'controller URL(s), comma-separated')
    .option('-u, --username <user>', 'basic-auth user')
    .option('-p, --password <password>', 'basic-auth password')
    .option('-t, --auth-header <value>', 'send this Authorization header instead of basic auth')
    .option('-i, --insecure', 'skip TLS certificate checks');
}

export function registerConfigCommands(program: Command): Command {
  const config = program.command('config').description('named clusters in the config file (~/.corral, $CORRAL_CONFIG or -f FILE)');
  const fileOf = (command: Command) => configFilePath(globalOptions(command).file);

  connectionOptions(config.command('init').description(`create the config file with one cluster (defaults fit "corral dev": ${DEV_ENDPOINT}, ${DEV_USER}/${DEV_USER})`))
    .option('-n, --name <name>', 'name of the cluster', 'local')
    .option('--force', 'overwrite an existing config file')
    .action(runAction(async (ctx, _args, opts, command) => {
      const file = fileOf(command);
      const existing = loadClusterConfig(file);
      if (Object.keys(existing.clusters).length && !opts.force) {
        throw new CliError(EXIT.BAD_INPUT, `${file} already has clusters (${Object.keys(existing.clusters).join(', ')}); use "corral config add-cluster" or pass --force to overwrite`);
      }
      const name = String(opts.name);
      checkClusterName(name);
      const devDefaults = opts.endpoint === undefined && opts.authHeader === undefined ? { endpoint: DEV_ENDPOINT, username: DEV_USER, password: DEV_USER } : {};
      const entry = entryFromOptions(opts, devDefaults);
      saveClusterConfig(file, { currentCluster: name, clusters: { [name]: entry } });
      ctx.print(`Created ${file} with cluster "${name}" (${entry.endpoint}); it is the current cluster`);
    }));

  connectionOptions(config.command('add-cluster').description('add (or with --force replace) a named cluster').argument('<name>'))
    .option('--use', 'also make it the current cluster')
    .option('--force', 'replace a cluster of the same name')
    .action(runAction(async (ctx, [name], opts, command) => {
      checkClusterName(name);
      const file = fileOf(command);
      const cfg = loadClusterConfig(file);
      if (cfg.clusters[name] && !opts.force) throw new CliError(EXIT.BAD_INPUT, `cluster "${name}" already exists in ${file}; pass --force to replace it`);
      cfg.clusters[name] = entryFromOptions(opts);
      if (opts.use || !cfg.currentCluster) cfg.currentCluster = name;
      saveClusterConfig(file, cfg);
      ctx.print(`Added cluster "${name}" to ${file}${cfg.currentCluster === name ? ' (current)' : ''}`);
    }));

  config.command('delete-cluster').description('remove a named cluster').argument('<name>')
    .action(runAction(async (ctx, [name], _opts, command) => {
      const file = fileOf(command);
      const cfg = requireCluster(loadClusterConfig(file), name, file);
      delete cfg.clusters[name];
      if (cfg.currentCluster === name) cfg.currentCluster = undefined;
      saveClusterConfig(file, cfg);
      ctx.print(`Deleted cluster "${name}" from ${file}${cfg.currentCluster ? '' : '; no current cluster now (corral config use-cluster NAME)'}`);
    }));

  config.command('use-cluster').description('make a named cluster the current one').argument('<name>')
    .action(runAction(async (ctx, [name], _opts, command) => {
      const file = fileOf(command);
      const cfg = requireCluster(loadClusterConfig(file), name, file);
      cfg.currentCluster = name;
      saveClusterConfig(file, cfg);
      ctx.print(`Current cluster is now "${name}" (${cfg.clusters[name].endpoint})`);
    }));

  config.command('current-cluster').description('print the current cluster\'s name')
    .action(runAction(async (ctx, _args, _opts, command) => {
      const file = fileOf(command);
      const cfg = loadClusterConfig(file);
      if (!cfg.currentCluster) throw new CliError(EXIT.BAD_INPUT, `no current cluster in ${file}; set one with: corral config use-cluster NAME`);
      ctx.print(cfg.currentCluster);
    }));

  addOutputOptions(config.command('get-clusters').description('list the named clusters (* = current)'))
    .option('-q, --quiet', 'print only the names, one per line')
    .action(runAction(async (ctx, _args, opts, command) => {
      const file = fileOf(command);
      const cfg = loadClusterConfig(file);
      const rows: ClusterRow[] = Object.entries(cfg.clusters).map(([name, e]) => ({ name, current: name === cfg.currentCluster, ...masked(e) }));
      if (ctx.structured) return ctx.printData(rows);
      if (opts.quiet) {
        if (rows.length) ctx.print(rows.map((r) => r.name).join('\n'));
        return;
      }
      ctx.printTable(rows, CLUSTER_COLUMNS, {}, `No clusters in ${file} (corral config init adds one)`);
    }));

  addOutputOptions(config.command('view').description('show the config file (passwords and auth headers masked)'))
    .option('--show-secrets', 'show passwords and auth headers as stored')
    .action(runAction(async (ctx, _args, opts, command) => {
      const file = fileOf(command);
      const cfg = loadClusterConfig(file);
      const shown: ClusterConfig = {
        currentCluster: cfg.currentCluster,
        clusters: Object.fromEntries(Object.entries(cfg.clusters).map(([n, e]) => [n, opts.showSecrets ? e : masked(e)])),
      };
      if (ctx.structured) return ctx.printData({ file, ...shown });
      const lines = [`# ${file}`, `current_cluster = ${shown.currentCluster ?? ''}`];
      for (const [name, e] of Object.entries(shown.clusters)) {
        lines.push('', `[${name}]`, `endpoint = ${e.endpoint}`);
        if (e.username !== undefined) lines.push(`username = ${e.username}`);
        if (e.password !== undefined) lines.push(`password = ${e.password}`);
        if (e.authHeader !== undefined) lines.push(`auth_header = ${e.authHeader}`);
        if (e.insecure) lines.push('insecure = true');
      }
      ctx.print(lines.join('\n'));
    }));

  return config;
}

function requireCluster(cfg: ClusterConfig, name: string, file: string): ClusterConfig {
  if (!cfg.clusters[name]) {
    const known = Object.keys(cfg.clusters);
    throw new CliError(EXIT.BAD_INPUT, `no cluster named "${name}" in ${file}${known.length ? `; known: ${known.join(', ')}` : ''}`);
  }
  return cfg;
}
