/**
 * The command line itself, through the real binary, with no cluster: usage errors, help,
 * local input errors, the config commands and shell completion.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/client/exit-codes.ts';
import { BIN, NODE, runCli, tempDir } from './helpers/run-cli.ts';

const dir = tempDir();

function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^corral: /);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0];
}

describe('usage errors: one line, exit 2', () => {
  it.each([
    [['bogus'], "unknown command 'bogus'", 'corral --help'],
    [['apps', 'lst'], 'Did you mean list?', 'corral apps --help'],
    [['apps', 'scale', 'myapp-1'], "missing required argument 'instances'", 'corral apps scale --help'],
    [['apps', 'scale', 'myapp-1', 'three'], 'instances must be a whole number', 'corral apps scale --help'],
    [['apps', 'scale', 'myapp-1', '3', '--bogus'], "unknown option '--bogus'", 'corral apps scale --help'],
    [['apps', 'scale', 'myapp-1', '3', '-p', '0'], '--parallelism must be a whole number from 1 to 512', 'corral apps scale --help'],
    [['apps', 'scale', 'myapp-1', '3', '-t', '5M'], 'Invalid duration unit in "5M"', 'corral apps scale --help'],
    [['apps', 'list', '-d'], "unknown option '-d'", 'corral apps list --help'],
    [['ops', 'list', '--state', 'DONE'], "argument 'DONE' is invalid: allowed choices are ACTIVE, FINISHED", 'corral ops list --help'],
    // commander's two sentences read as one line, with no ".;" before the help hint
    [['apps', 'list', 'nope'], "too many arguments for 'list': expected 0 arguments but got 1", 'corral apps list --help'],
    [['-o', 'xml', 'apps', 'list'], 'allowed choices are json, yaml, wide', 'corral --help'],
    [['apps', 'list', '-o', 'xml'], 'allowed choices are json, yaml, wide', 'corral apps list --help'],
    // deploy and scale share one limit (src/api/validation/instance-limits.ts)
    [['apps', 'deploy', 'myapp-1', '2049'], 'instances must be a whole number from 0 to 2048', 'corral apps deploy --help'],
    [['apps', 'scale', 'myapp-1', '2049'], 'instances must be a whole number from 0 to 2048', 'corral apps scale --help'],
    // an unknown type would match nothing and print nothing (exit 0), or wait forever with --follow
    [['cluster', 'events', '--type', 'task_state_change', 'bogus'], 'unknown event type "bogus"', 'corral cluster events --help'],
  ])('%j', async (args, problem, help) => {
    const result = await runCli(args);
    expect(result.code).toBe(EXIT.USAGE);
    const line = oneLine(result.stderr);
    expect(line).toContain(problem);
    expect(line).not.toContain('.;');
    expect(line).toContain(`see "${help}"`);
  });

  it('rejects a bad endpoint URL as a usage error', async () => {
    const result = await runCli(['-e', 'ftp://x', 'apps', 'list']);
    expect(result.code).toBe(EXIT.USAGE);
    expect(oneLine(result.stderr)).toContain('"ftp://x" must be an http:// or https:// URL');
  });

  it('--help exits 0 and its epilog lists every exit code and the option clash', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Exit codes:');
    for (const code of Object.values(EXIT)) expect(result.stdout).toMatch(new RegExp(`^\\s+${code}  `, 'm'));
    expect(result.stdout).toContain('corral -u admin -p secret apps scale myapp-1 3 -p 4');
    for (const group of ['apps', 'appinstances', 'tasks', 'cluster', 'executor', 'describe', 'config', 'ops', 'completion']) {
      expect(result.stdout).toMatch(new RegExp(`^  ${group}\\b`, 'm'));
    }
  });
});

describe('local input errors: exit 8, naming the path', () => {
  it('reports a missing spec file with its path, before contacting any controller', async () => {
    const missing = path.join(dir, 'missing.json');
    const result = await runCli(['-e', 'http://127.0.0.1:1', 'apps', 'create', missing]);
    expect(result.code).toBe(EXIT.BAD_INPUT);
    expect(oneLine(result.stderr)).toBe(`corral: cannot read spec file ${missing}: no such file`);
  });

  it('reports a spec file that is not JSON with its path and the parser message', async () => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{"name": "x",');
    const result = await runCli(['-e', 'http://127.0.0.1:1', 'tasks', 'create', bad]);
    expect(result.code).toBe(EXIT.BAD_INPUT);
    expect(oneLine(result.stderr)).toMatch(new RegExp(`^corral: spec file ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON: `));
  });

  it('reads YAML specs too, and names the format it expected when one does not parse', async () => {
    const badYaml = path.join(dir, 'bad.yaml');
    writeFileSync(badYaml, 'name: x\n  version: [1\n');
    let result = await runCli(['-e', 'http://127.0.0.1:1', 'apps', 'create', badYaml]);
    expect(result.code).toBe(EXIT.BAD_INPUT);
    expect(oneLine(result.stderr)).toMatch(new RegExp(`^corral: spec file ${badYaml.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid YAML: `));
    result = await runCli(['-e', 'http://127.0.0.1:1', 'tasks', 'create', '-'], { input: '{"a": [1,\n  b: ]]' });
    expect(result.code).toBe(EXIT.BAD_INPUT);
    expect(oneLine(result.stderr)).toMatch(/^corral: spec file standard input is not valid JSON or YAML: /);
    result = await runCli(['-e', 'http://127.0.0.1:1', 'tasks', 'create', '-'], { input: '- a\n- b\n' });
    expect(oneLine(result.stderr)).toBe('corral: spec file standard input must hold one object (the spec), not a list');
    // A spec that parses goes on to the controller: here none answers, so that is the error (exit 3).
    result = await runCli(['-e', 'http://127.0.0.1:1', 'tasks', 'create', '-'], { input: 'sourceAppName: A\ntaskId: T1\n' });
    expect(result.code).toBe(EXIT.UNREACHABLE);
  });

  it('says how to configure an endpoint when there is none', async () => {
    const result = await runCli(['apps', 'list']);
    expect(result.code).toBe(EXIT.BAD_INPUT);
    expect(oneLine(result.stderr)).toContain('corral config init -e http://host:port');
  });

  it('names an unknown -c cluster and the known ones', async () => {
    const file = path.join(dir, 'one-cluster');
    writeFileSync(file, '[a]\nendpoint = http://127.0.0.1:1\n');
    const result = await runCli(['-f', file, '-c', 'b', 'apps', 'list']);
    expect(result.code).toBe(EXIT.BAD_INPUT);
    expect(oneLine(result.stderr)).toContain('no cluster named "b"');
    expect(result.stderr).toContain('known clusters: a');
  });
});

describe('unreachable endpoints: exit 3', () => {
  it('lists every endpoint that could not be reached and why', async () => {
    const result = await runCli(['-e', 'http://127.0.0.1:1,http://127.0.0.1:2', 'cluster', 'ping']);
    expect(result.code).toBe(EXIT.UNREACHABLE);
    expect(oneLine(result.stderr)).toBe('corral: cannot reach http://127.0.0.1:1 (connection refused), http://127.0.0.1:2 (connection refused); is the controller running, and is the address (-e/--endpoint) right?');
  });
});

describe('config commands', () => {
  it('init, add-cluster, use-cluster, current-cluster, get-clusters, view and delete-cluster', async () => {
    const file = path.join(dir, 'corral-config');
    const env = { CORRAL_CONFIG: file };
    let r = await runCli(['config', 'init'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('with cluster "local" (http://127.0.0.1:4000)');
    expect(readFileSync(file, 'utf8')).toMatch(/username = admin/);

    r = await runCli(['config', 'init'], { env });
    expect(r.code).toBe(EXIT.BAD_INPUT);
    expect(r.stderr).toContain('already has clusters (local)');

    r = await runCli(['config', 'add-cluster', 'prod', '-e', 'http://p1:4000,http://p2:4000', '-u', 'ops', '-p', 's3cret'], { env });
    expect(r.code).toBe(0);
    r = await runCli(['config', 'current-cluster'], { env });
    expect(r.stdout.trim()).toBe('local');
    r = await runCli(['config', 'use-cluster', 'prod'], { env });
    expect(r.code).toBe(0);
    r = await runCli(['config', 'current-cluster'], { env });
    expect(r.stdout.trim()).toBe('prod');

    r = await runCli(['config', 'get-clusters'], { env });
    expect(r.stdout).toMatch(/^Current\s+Name\s+Endpoint\s+Auth\s+Insecure$/m);
    expect(r.stdout).toMatch(/^\*\s+prod\s+http:\/\/p1:4000,http:\/\/p2:4000\s+basic \(ops\)$/m);
    r = await runCli(['config', 'get-clusters', '--quiet'], { env });
    expect(r.stdout).toBe('local\nprod\n');

    r = await runCli(['config', 'view'], { env });
    expect(r.stdout).toContain('password = ***');
    expect(r.stdout).not.toContain('s3cret');
    r = await runCli(['config', 'view', '--json', '--show-secrets'], { env });
    expect(JSON.parse(r.stdout).clusters.prod.password).toBe('s3cret');

    r = await runCli(['config', 'add-cluster', 'prod', '-e', 'http://x:1'], { env });
    expect(r.code).toBe(EXIT.BAD_INPUT);
    expect(r.stderr).toContain('pass --force to replace it');
    r = await runCli(['config', 'add-cluster', 'bad name', '-e', 'http://x:1'], { env });
    expect(r.code).toBe(EXIT.USAGE);
    r = await runCli(['config', 'add-cluster', 'noendpoint'], { env });
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain('missing -e/--endpoint');

    r = await runCli(['config', 'delete-cluster', 'prod'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no current cluster now');
    r = await runCli(['config', 'use-cluster', 'prod'], { env });
    expect(r.code).toBe(EXIT.BAD_INPUT);
    expect(r.stderr).toContain('known: local');
    r = await runCli(['-f', file, 'config', 'current-cluster']);
    expect(r.code).toBe(EXIT.BAD_INPUT);
  }, 180_000);
});

describe('large output', () => {
  it('reaches a pipe whole before the CLI exits', async () => {
    const file = path.join(dir, 'many-clusters');
    const names = Array.from({ length: 3000 }, (_, i) => `cluster-${i}`);
    writeFileSync(file, names.map((n) => `[${n}]\nendpoint = http://${n}.example.internal:4000\nusername = someone\n`).join('\n'));
    const result = await runCli(['-f', file, 'config', 'view']);
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(200_000);
    expect(result.stdout.trimEnd().endsWith('username = someone')).toBe(true);
    expect(result.stdout).toContain('[cluster-2999]');
  });
});

describe('shell completion', () => {
  const bashScript = path.join(dir, 'corral.bash');
  const complete = (words: string[], configFile?: string): string[] => {
    const script = `source "${bashScript}"
corral() { "${NODE}" "${BIN}" "$@"; }
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_corral; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const result = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { ...process.env, CORRAL_CONFIG: configFile ?? path.join(dir, 'none') } });
    expect(result.stderr).toBe('');
    return result.stdout.split('\n').filter(Boolean).sort();
  };

  it('bash completes command groups, subcommands, options and cluster names', async () => {
    const generated = await runCli(['completion', 'bash']);
    expect(generated.code).toBe(0);
    writeFileSync(bashScript, generated.stdout);
    expect(complete(['corral', 'ap'])).toEqual(['appinstances', 'apps']);
    expect(complete(['corral', '-u', 'admin', 'apps', 'sc'])).toEqual(['scale']);
    expect(complete(['corral', 'apps', 'scale', 'x', '3', '--p'])).toEqual(['--parallelism']);
    expect(complete(['corral', '-p', 'apps', 'tasks', 'ab'])).toEqual(['abort']);
    expect(complete(['corral', 'ops', 'abort', '--'])).toEqual(['--deadline', '--force', '--help']);
    const file = path.join(dir, 'completion-config');
    writeFileSync(file, '[local]\nendpoint = http://a:1\n[prod]\nendpoint = http://b:2\n');
    expect(complete(['corral', '-c', ''], file)).toEqual(['local', 'prod']);
  });

  it('zsh completes the same from its script (compadd/_files stubbed to print what zsh would offer)', async () => {
    const zsh = await runCli(['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout).toMatch(/^#compdef corral/);
    expect(zsh.stdout).toContain('compdef _corral corral');
    const script = path.join(dir, '_corral');
    writeFileSync(script, zsh.stdout);
    expect(spawnSync('zsh', ['-n', script], { encoding: 'utf8' }).stderr).toBe('');
    const offered = (words: string[]) => spawnSync('zsh', ['-c', `compdef() { :; }
compadd() { shift; print -l -- "$@"; }
_files() { print -- '<files>'; }
source ${script}
words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}; _corral`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    expect(offered(['corral', '-u', 'admin', 'apps', 'sc'])).toEqual(expect.arrayContaining(['scale', 'suspend', '<files>']));
    expect(offered(['corral', 'apps', 'scale', 'x', '3', '--p'])).toEqual(['-p', '--parallelism', '-t', '--timeout', '-w', '--wait', '--help']);
    expect(offered(['corral', 'apps', 'create', ''])).toEqual(['<files>']);
  });

  it('fish completes from its script, and unknown shells are refused', async () => {
    const fish = await runCli(['completion', 'fish']);
    expect(fish.code).toBe(0);
    const script = path.join(dir, 'corral.fish');
    writeFileSync(script, fish.stdout);
    const offered = (line: string, configFile?: string) => {
      const result = spawnSync('fish', ['--no-config', '-c', `function corral; "${NODE}" "${BIN}" $argv; end; source ${script}; complete -C '${line}'`], {
        encoding: 'utf8', env: { ...process.env, CORRAL_CONFIG: configFile ?? path.join(dir, 'none') },
      });
      expect(result.stderr).toBe('');
      return result.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]).sort();
    };
    expect(offered('corral ap')).toEqual(['appinstances', 'apps']);
    expect(offered('corral -u admin apps sc')).toEqual(['scale']);
    expect(offered('corral apps scale x 3 --p')).toEqual(['--parallelism']);
    const file = path.join(dir, 'fish-config');
    writeFileSync(file, '[local]\nendpoint = http://a:1\n[prod]\nendpoint = http://b:2\n');
    expect(offered('corral -c ', file)).toEqual(['local', 'prod']);
    // No cluster configured: ids complete to nothing, quietly.
    expect(offered('corral apps scale ')).toEqual([]);

    const tcsh = await runCli(['completion', 'tcsh']);
    expect(tcsh.code).toBe(EXIT.USAGE);
    expect(tcsh.stderr).toContain('choose bash, zsh or fish');
  });
});
