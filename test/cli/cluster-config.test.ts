import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  configFilePath, loadClusterConfig, parseEndpoints, resolveConnection, saveClusterConfig,
} from '../../src/cli/client/cluster-config.ts';
import { CliError, EXIT } from '../../src/cli/client/exit-codes.ts';
import { tempDir } from './helpers/run-cli.ts';

function thrown(fn: () => unknown): CliError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error('expected a CliError');
}

describe('config file', () => {
  it('reads a Drove-style ~/.drove file unchanged', () => {
    const file = path.join(tempDir(), 'drove');
    writeFileSync(file, [
      '[DEFAULT]', 'current_cluster = stage', '',
      '[local]', 'endpoint = http://localhost:10000', 'username = admin', 'password = admin', '',
      '[stage]', 'endpoint = https://stage.example:443', 'auth_header = Bearer abc', 'insecure = true', '',
    ].join('\n'));
    expect(loadClusterConfig(file)).toEqual({
      currentCluster: 'stage',
      clusters: {
        local: { endpoint: 'http://localhost:10000', username: 'admin', password: 'admin', authHeader: undefined, insecure: false },
        stage: { endpoint: 'https://stage.example:443', username: undefined, password: undefined, authHeader: 'Bearer abc', insecure: true },
      },
    });
  });

  it('round-trips through save with mode 0600 and survives awkward passwords', () => {
    const file = path.join(tempDir(), 'nested', 'corral');
    const config = { currentCluster: 'prod', clusters: { prod: { endpoint: 'http://a:1,http://b:2', username: 'ops', password: 'p;w#x=y "q"', insecure: false } } };
    saveClusterConfig(file, config);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain('current_cluster = prod');
    const loaded = loadClusterConfig(file);
    expect(loaded.clusters.prod.password).toBe('p;w#x=y "q"');
    expect(loaded.clusters.prod.endpoint).toBe('http://a:1,http://b:2');
  });

  it('treats a missing file as empty and names the file when a cluster lacks an endpoint', () => {
    const dir = tempDir();
    expect(loadClusterConfig(path.join(dir, 'none'))).toEqual({ clusters: {} });
    const file = path.join(dir, 'broken');
    writeFileSync(file, '[x]\nusername = a\n');
    const error = thrown(() => loadClusterConfig(file));
    expect(error.exitCode).toBe(EXIT.BAD_INPUT);
    expect(error.message).toContain(file);
    expect(error.message).toContain('[x] has no endpoint');
  });

  it('finds the file from -f, then CORRAL_CONFIG, then ~/.corral', () => {
    expect(configFilePath('/x/y', { CORRAL_CONFIG: '/a/b' })).toBe('/x/y');
    expect(configFilePath(undefined, { CORRAL_CONFIG: '/a/b' })).toBe('/a/b');
    expect(configFilePath(undefined, {})).toMatch(/\.corral$/);
  });
});

describe('endpoints', () => {
  it('splits comma-separated lists, adds http:// to bare host:port and drops trailing slashes', () => {
    expect(parseEndpoints('http://a:1/, b:2 ,https://c', '-e')).toEqual(['http://a:1', 'http://b:2', 'https://c']);
  });

  it('refuses non-http URLs and empty lists with a usage error naming the origin', () => {
    expect(thrown(() => parseEndpoints('ftp://x', '-e/--endpoint')).message).toBe('-e/--endpoint: "ftp://x" must be an http:// or https:// URL');
    expect(thrown(() => parseEndpoints(' , ', '-e')).exitCode).toBe(EXIT.USAGE);
  });
});

describe('resolveConnection precedence', () => {
  const dir = tempDir();
  const file = path.join(dir, 'corral');
  saveClusterConfig(file, {
    currentCluster: 'local',
    clusters: {
      local: { endpoint: 'http://local:4000', username: 'admin', password: 'admin' },
      prod: { endpoint: 'http://p1:4000,http://p2:4000', username: 'ops', password: 'secret', insecure: true },
    },
  });

  it('uses the current cluster when nothing else is given', () => {
    const s = resolveConnection({}, { CORRAL_CONFIG: file });
    expect(s).toMatchObject({ endpoints: ['http://local:4000'], username: 'admin', password: 'admin', insecure: false });
  });

  it('lets the environment override the config file', () => {
    const s = resolveConnection({}, { CORRAL_CONFIG: file, CORRAL_ENDPOINT: 'http://env:1', CORRAL_USERNAME: 'u', CORRAL_PASSWORD: 'p' });
    expect(s).toMatchObject({ endpoints: ['http://env:1'], username: 'u', password: 'p', source: 'CORRAL_ENDPOINT' });
  });

  it('lets -c NAME win over the environment, and flags win over everything', () => {
    const env = { CORRAL_CONFIG: file, CORRAL_ENDPOINT: 'http://env:1', CORRAL_USERNAME: 'u' };
    expect(resolveConnection({ cluster: 'prod' }, env)).toMatchObject({ endpoints: ['http://p1:4000', 'http://p2:4000'], username: 'ops', insecure: true });
    expect(resolveConnection({ cluster: 'prod', username: 'me', endpoint: 'x:9' }, env)).toMatchObject({ endpoints: ['http://x:9'], username: 'me', password: 'secret' });
  });

  it('explains what to do when no endpoint is configured or the cluster is unknown', () => {
    const none = thrown(() => resolveConnection({}, { CORRAL_CONFIG: path.join(dir, 'absent') }));
    expect(none.exitCode).toBe(EXIT.BAD_INPUT);
    expect(none.message).toContain('corral config init');
    const unknown = thrown(() => resolveConnection({ cluster: 'nope' }, { CORRAL_CONFIG: file }));
    expect(unknown.message).toContain('known clusters: local, prod');
  });
});
