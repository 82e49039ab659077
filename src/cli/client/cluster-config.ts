/**
 * The client's cluster config file (`~/.corral`, or `$CORRAL_CONFIG`, or `-f FILE`) and the
 * resolution of connection settings from flags, environment and that file.
 *
 * The file is INI in the same shape as Drove's `~/.drove`, so an existing Drove config works
 * as-is (`CORRAL_CONFIG=~/.drove corral -c prod apps list`):
 *
 *     [DEFAULT]
 *     current_cluster = local
 *
 *     [local]
 *     endpoint = http://127.0.0.1:4000
 *     username = admin
 *     password = admin
 *     ; auth_header = Bearer xyz      (sent verbatim as Authorization instead of basic auth)
 *     ; insecure = true               (skip TLS certificate checks)
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import ini from 'ini';
import { CliError, EXIT } from './exit-codes.ts';

/** One named cluster in the config file. */
export interface ClusterEntry {
  /** One URL or several, comma-separated (the CLI pings them to find the leader). */
  endpoint: string;
  username?: string;
  password?: string;
  authHeader?: string;
  insecure?: boolean;
}

export interface ClusterConfig {
  currentCluster?: string;
  clusters: Record<string, ClusterEntry>;
}

/** Global options as commander hands them over (all optional). */
export interface GlobalOptions {
  endpoint?: string;
  username?: string;
  password?: string;
  authHeader?: string;
  cluster?: string;
  file?: string;
  insecure?: boolean;
  debug?: boolean;
  /** `-o` before the command: the output format of reads (see output-format.ts). */
  output?: string;
}

/** What the HTTP client needs, after flags, environment and config file are merged. */
export interface ConnectionSettings {
  endpoints: string[];
  username?: string;
  password?: string;
  authHeader?: string;
  insecure: boolean;
  debug: boolean;
  /** Where the settings came from, for error messages ("cluster 'prod' in ~/.corral"). */
  source: string;
}

const CLUSTER_NAME = /^[A-Za-z0-9_.-]+$/;

/** `-f FILE` wins, then `$CORRAL_CONFIG`, then `~/.corral`. */
export function configFilePath(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return path.resolve(explicit);
  if (env.CORRAL_CONFIG) return path.resolve(env.CORRAL_CONFIG);
  return path.join(homedir(), '.corral');
}

/** Reads the config file; a missing file is an empty config, an unreadable one a BAD_INPUT error. */
export function loadClusterConfig(file: string): ClusterConfig {
  if (!existsSync(file)) return { clusters: {} };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(EXIT.BAD_INPUT, `cannot read config file ${file}: ${(error as Error).message}`);
  }
  const parsed = ini.parse(text) as Record<string, unknown>;
  const config: ClusterConfig = { clusters: {} };
  for (const [section, body] of Object.entries(parsed)) {
    if (typeof body !== 'object' || body === null) {
      throw new CliError(EXIT.BAD_INPUT, `config file ${file}: "${section}" is outside any [section]; put settings under [cluster-name]`);
    }
    const values = body as Record<string, unknown>;
    if (section === 'DEFAULT') {
      if (typeof values.current_cluster === 'string' && values.current_cluster) config.currentCluster = values.current_cluster;
      continue;
    }
    if (typeof values.endpoint !== 'string' || !values.endpoint.trim()) {
      throw new CliError(EXIT.BAD_INPUT, `config file ${file}: cluster [${section}] has no endpoint; add "endpoint = http://host:port"`);
    }
    config.clusters[section] = {
      endpoint: values.endpoint.trim(),
      username: stringOrUndefined(values.username),
      password: stringOrUndefined(values.password),
      authHeader: stringOrUndefined(values.auth_header),
      insecure: values.insecure === true || values.insecure === 'true' || values.insecure === 'yes' || values.insecure === '1',
    };
  }
  return config;
}

/**
 * Writes the config atomically (temp file + rename) with mode 0600, because it holds
 * passwords; the parent directory is created if needed.
 */
export function saveClusterConfig(file: string, config: ClusterConfig): void {
  const sections: Record<string, Record<string, string | boolean>> = {};
  if (config.currentCluster) sections.DEFAULT = { current_cluster: config.currentCluster };
  for (const [name, entry] of Object.entries(config.clusters)) {
    const body: Record<string, string | boolean> = { endpoint: entry.endpoint };
    if (entry.username !== undefined) body.username = entry.username;
    if (entry.password !== undefined) body.password = entry.password;
    if (entry.authHeader !== undefined) body.auth_header = entry.authHeader;
    if (entry.insecure) body.insecure = true;
    sections[name] = body;
  }
  const text = ini.stringify(sections, { whitespace: true });
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, text, { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, file);
  } catch (error) {
    throw new CliError(EXIT.BAD_INPUT, `cannot write config file ${file}: ${(error as Error).message}`);
  }
}

/** Rejects names that would not survive as an INI section header. */
export function checkClusterName(name: string): void {
  if (!CLUSTER_NAME.test(name) || name === 'DEFAULT') {
    throw new CliError(EXIT.USAGE, `invalid cluster name "${name}": use letters, digits, ".", "_" or "-" (and not DEFAULT)`);
  }
}

/**
 * Splits and normalises a comma-separated endpoint list: a bare `host:port` gets `http://`,
 * trailing slashes go, anything that is not an http(s) URL is refused naming `origin`.
 */
export function parseEndpoints(value: string, origin: string, exitCode: typeof EXIT.USAGE | typeof EXIT.BAD_INPUT = EXIT.USAGE): string[] {
  const parts = value.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  if (parts.length === 0) throw new CliError(exitCode, `${origin}: no endpoint given; expected a URL such as http://127.0.0.1:4000`);
  return parts.map((part) => {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(part) ? part : `http://${part}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw new CliError(exitCode, `${origin}: "${part}" is not a valid URL; expected e.g. http://127.0.0.1:4000`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new CliError(exitCode, `${origin}: "${part}" must be an http:// or https:// URL`);
    }
    return withScheme.replace(/\/+$/, '');
  });
}

/**
 * Merges the connection settings. Precedence: explicit flags; then, when `-c NAME` is given,
 * that cluster from the file; then `CORRAL_ENDPOINT` / `CORRAL_USERNAME` / `CORRAL_PASSWORD` /
 * `CORRAL_AUTH_HEADER`; then the file's current cluster.
 */
export function resolveConnection(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): ConnectionSettings {
  const file = configFilePath(opts.file, env);
  const needFile = Boolean(opts.cluster) || !(opts.endpoint || env.CORRAL_ENDPOINT);
  const config = needFile ? loadClusterConfig(file) : { clusters: {} };

  let base: ClusterEntry | undefined;
  let source: string;
  if (opts.cluster) {
    base = config.clusters[opts.cluster];
    if (!base) {
      const known = Object.keys(config.clusters);
      throw new CliError(
        EXIT.BAD_INPUT,
        `no cluster named "${opts.cluster}" in ${file}; ${known.length ? `known clusters: ${known.join(', ')}` : 'add one with "corral config add-cluster NAME -e http://host:port"'}`,
      );
    }
    source = `cluster "${opts.cluster}" in ${file}`;
  } else if (env.CORRAL_ENDPOINT) {
    base = { endpoint: env.CORRAL_ENDPOINT };
    source = 'CORRAL_ENDPOINT';
  } else if (config.currentCluster && config.clusters[config.currentCluster]) {
    base = config.clusters[config.currentCluster];
    source = `cluster "${config.currentCluster}" in ${file}`;
  } else {
    source = 'command line';
  }

  const fromEnv = !opts.cluster;
  const endpointText = opts.endpoint ?? base?.endpoint;
  if (!endpointText) {
    throw new CliError(EXIT.BAD_INPUT, 'no controller endpoint configured: pass -e http://host:port before the command, set CORRAL_ENDPOINT, or save a cluster with "corral config init -e http://host:port"');
  }
  const endpoints = opts.endpoint
    ? parseEndpoints(opts.endpoint, '-e/--endpoint', EXIT.USAGE)
    : parseEndpoints(endpointText, source, EXIT.BAD_INPUT);
  return {
    endpoints,
    username: opts.username ?? (fromEnv ? env.CORRAL_USERNAME : undefined) ?? base?.username,
    password: opts.password ?? (fromEnv ? env.CORRAL_PASSWORD : undefined) ?? base?.password,
    authHeader: opts.authHeader ?? (fromEnv ? env.CORRAL_AUTH_HEADER : undefined) ?? base?.authHeader,
    insecure: Boolean(opts.insecure) || Boolean(base?.insecure),
    debug: Boolean(opts.debug),
    source: opts.endpoint ? '-e/--endpoint' : source,
  };
}

function stringOrUndefined(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
