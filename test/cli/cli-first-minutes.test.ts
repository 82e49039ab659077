/**
 * What a new user meets in the first minutes with the CLI, against a real `corral dev` cluster
 * through the binary: `--wait` progress in an 80- and a 200-column terminal, unknown ids (exit
 * 7 with what exists), `-o json|yaml|wide` before or after the command, YAML specs, empty lists,
 * the wording of a gracefully aborted scale, event times, and completion of ids from the cluster
 * in bash, zsh and fish.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { EXIT } from '../../src/cli/client/exit-codes.ts';
import { api } from '../helpers/api-client.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { startDevCluster, type DevCluster } from './helpers/dev-cluster.ts';
import { BIN, NODE, collect, drawnLines, runCli, startInTerminal, tempDir, type CliResult } from './helpers/run-cli.ts';

const FLOW_TIMEOUT_MS = 180_000;

let cluster: DevCluster;
const dir = tempDir();
const env = { CORRAL_CONFIG: path.join(dir, 'corral-config') };
const corral = (...args: string[]) => runCli(['-c', 'local', ...args], { env });
const corralWithInput = (input: string, ...args: string[]) => runCli(['-c', 'local', ...args], { env, input });

function ok(result: CliResult): CliResult {
  if (result.code !== 0) throw new Error(`exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
}

/** A PROCESS app whose instances take `readyAfter` to become ready (so progress has time to show). */
function appYaml(name: string, readyAfter = '1s'): string {
  return `name: ${name}
version: "1"
type: SERVICE
executable: { type: PROCESS, command: /bin/sleep }
args: ["3600"]
exposedPorts: [{ name: main, port: 8000, type: HTTP }]
resources: [{ type: CPU, count: 1 }, { type: MEMORY, sizeInMB: 64 }]
healthcheck: { mode: { type: CMD, command: "true" }, timeout: 1s, interval: 1s, attempts: 3 }
readiness: { mode: { type: CMD, command: "true" }, timeout: 1s, interval: 1s, attempts: 3, initialDelay: ${readyAfter} }
tags: { team: first-minutes }
`;
}

beforeAll(async () => {
  cluster = await startDevCluster();
  ok(await runCli(['config', 'add-cluster', 'local', '-e', cluster.url, '-u', 'admin', '-p', 'admin'], { env }));
  // One app from a YAML file, one from YAML on standard input.
  const file = path.join(dir, 'web.yaml');
  writeFileSync(file, appYaml('web'));
  ok(await corral('apps', 'create', file, '--wait'));
  // Slow to become ready, so a scale of it is still running when the wording test aborts it.
  ok(await corralWithInput(appYaml('idle', '5s'), 'apps', 'create', '-', '--wait'));
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  await stopAllTestProcesses();
}, 60_000);

describe('--wait progress in a terminal', () => {
  /** Deploys under a pseudo-terminal `columns` wide; returns the progress lines it drew. */
  async function deployIn(columns: number, instances: number): Promise<string[]> {
    const child = startInTerminal(['-c', 'local', 'apps', 'deploy', 'web-1', String(instances), '--wait'], { env, columns });
    child.stdin.end();
    const result = await collect(child, { timeoutMs: 60_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Operation OP-\S+ COMPLETED after/);
    return drawnLines(result.stdout).filter((line) => / done/.test(line) && !line.startsWith('Operation '));
  }
  const bar = (line: string) => /^\[([█░]+)\] /.exec(line)?.[1] ?? '';

  it('fits 80 and 200 columns, always with done/total and the elapsed time', async () => {
    const narrow = await deployIn(80, 1);
    const wide = await deployIn(200, 1);
    for (const [lines, columns] of [[narrow, 80], [wide, 200]] as const) {
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        expect(line.length).toBeLessThan(columns);
        expect(line).toMatch(/^\[[█░]+\] (RUNNING|COMPLETED): [01]\/[01] done, 0 failed, [01] in flight, \d+(ms|s|m\d*s?)$/);
        // The id is on the "accepted" line; the progress line has no room for it.
        expect(line).not.toContain('OP-');
      }
    }
    // The bar takes the room the terminal gives: wider at 200 columns than at 80.
    expect(bar(wide[0]).length).toBeGreaterThan(bar(narrow[0]).length);
    expect(narrow.at(-1)).toMatch(/COMPLETED: 1\/1 done/);
  }, FLOW_TIMEOUT_MS);
});

describe('unknown ids exit 7 and say what exists', () => {
  it('for app operations, instance lists and reads', async () => {
    for (const args of [['apps', 'scale', 'web-2', '3'], ['apps', 'suspend', 'web-2'], ['apps', 'destroy', 'web-2'], ['apps', 'deploy', 'web-2', '1'], ['apps', 'summary', 'web-2']]) {
      const r = await corral(...args);
      expect([args, r.code, r.stderr]).toEqual([args, EXIT.NOT_FOUND, 'corral: no app web-2; the apps are idle-1, web-1 (corral apps list)\n']);
    }
    let r = await corral('appinstances', 'list', 'nope-1');
    expect([r.code, r.stdout, r.stderr]).toEqual([EXIT.NOT_FOUND, '', 'corral: no app nope-1; the apps are idle-1, web-1 (corral apps list)\n']);
    r = await corral('appinstances', 'kill', 'web-1', 'AI-nope');
    expect([r.code, r.stderr]).toEqual([EXIT.NOT_FOUND, 'corral: no instance AI-nope of app web-1; see corral appinstances list web-1 (--old for stopped ones)\n']);
    r = await corral('ops', 'abort', 'OP-nope');
    expect([r.code, r.stderr]).toEqual([EXIT.NOT_FOUND, 'corral: no operation OP-nope; see corral ops list\n']);
    r = await corral('tasks', 'abort', 'NOAPP', 'T1');
    expect(r.code).toBe(EXIT.NOT_FOUND);
    expect(r.stderr).toMatch(/^corral: no task NOAPP\/T1; see corral tasks list/);
  }, FLOW_TIMEOUT_MS);
});

describe('output formats', () => {
  it('-o json|yaml|wide before or after the command, --json kept', async () => {
    const json = JSON.parse(ok(await corral('apps', 'list', '--json')).stdout) as Array<{ id: string }>;
    expect(json.map((a) => a.id).sort()).toEqual(['idle-1', 'web-1']);
    expect(JSON.parse(ok(await corral('-o', 'json', 'apps', 'list')).stdout)).toEqual(json);
    const yamlAfter = ok(await corral('apps', 'list', '-o', 'yaml')).stdout;
    expect(parseYaml(yamlAfter)).toEqual(json);
    expect(ok(await corral('-o', 'yaml', 'apps', 'list')).stdout).toBe(yamlAfter);
    expect(parseYaml(ok(await corral('apps', 'spec', 'web-1', '-o', 'yaml')).stdout)).toMatchObject({ name: 'web', tags: { team: 'first-minutes' } });

    const plain = ok(await corral('apps', 'list')).stdout;
    const wide = ok(await corral('apps', 'list', '-o', 'wide')).stdout;
    expect(plain.split('\n')[0]).not.toMatch(/Tags/);
    expect(wide.split('\n')[0]).toMatch(/Updated\s+Tags$/);
    expect(wide).toMatch(/^web-1\s.*team=first-minutes$/m);
    expect(ok(await corral('-o', 'wide', 'apps', 'list')).stdout).toBe(wide);
    const conflict = await corral('apps', 'list', '--json', '-o', 'yaml');
    expect([conflict.code, conflict.stderr]).toEqual([EXIT.USAGE, 'corral: --json and -o yaml ask for different formats; give one of them\n']);
  }, FLOW_TIMEOUT_MS);

  it('empty lists say so in one line on stderr, with nothing on stdout', async () => {
    let r = ok(await corral('tasks', 'list'));
    expect([r.stdout, r.stderr]).toEqual(['', 'No active tasks (finished ones: corral tasks show SOURCE_APP TASK_ID)\n']);
    r = ok(await corral('appinstances', 'list', 'idle-1'));
    expect([r.stdout, r.stderr]).toEqual(['', 'No active instances of idle-1 (corral apps deploy idle-1 N starts some; --old lists stopped ones)\n']);
    r = ok(await corral('ops', 'list', '--state', 'ACTIVE', '--app', 'idle-1'));
    expect([r.stdout, r.stderr]).toEqual(['', 'No active operations on idle-1\n']);
    // Structured formats print the empty list itself.
    expect(ok(await corral('tasks', 'list', '-o', 'json')).stdout).toBe('[]\n');
  }, FLOW_TIMEOUT_MS);
});

describe('wording', () => {
  it('a gracefully aborted scale says what was asked and what was reached, once', async () => {
    const accepted = ok(await corral('apps', 'scale', 'idle-1', '3', '-p', '1')).stdout;
    const operationId = /\(operation (OP-[0-9a-f-]+)\)/.exec(accepted)![1];
    const admin = api(cluster.url);
    await waitFor(async () => (await admin.get(`/apis/v1/operations/${operationId}`)).body.data.progress.inFlight >= 1, { timeoutMs: 30_000, message: 'one instance starting' });
    ok(await corral('ops', 'abort', operationId));
    const watched = await corral('ops', 'watch', operationId);
    expect(watched.code).toBe(EXIT.OPERATION_NOT_COMPLETED);
    const shown = ok(await corral('ops', 'show', operationId)).stdout;
    expect(shown).toMatch(/^Result: +incomplete: Stopped early: [0-2] of 3 step\(s\) done; asked for 3 instance\(s\), reached [0-2] healthy; the app now expects [0-2]$/m);
    expect(shown).toMatch(/CANCELLED: Stopped early: /);
    expect(shown).not.toMatch(/Cancelled: Cancelled|CANCELLED: Cancelled/);
  }, FLOW_TIMEOUT_MS);

  it('event metadata times are local times, not epoch milliseconds', async () => {
    const lines = ok(await corral('cluster', 'events', '-n', '5', '--type', 'INSTANCE_STATE_CHANGE')).stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toMatch(/ CREATED=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /);
      expect(line).not.toMatch(/=\d{13}\b/);
    }
  }, FLOW_TIMEOUT_MS);
});

describe('completion of ids from the cluster', () => {
  /** A `corral` on PATH, as an installed one would be, talking to this test's config. */
  const shim = path.join(dir, 'bin');
  const shellEnv = () => ({ ...process.env, ...env, PATH: `${shim}:${process.env.PATH}` });

  beforeAll(() => {
    spawnSync('mkdir', ['-p', shim]);
    writeFileSync(path.join(shim, 'corral'), `#!/bin/sh\nexec "${NODE}" "${BIN}" "$@"\n`, { mode: 0o755 });
    for (const shell of ['bash', 'zsh', 'fish']) {
      const script = spawnSync(NODE, [BIN, 'completion', shell], { encoding: 'utf8' });
      writeFileSync(path.join(dir, `completion.${shell}`), script.stdout);
    }
  });

  const bash = (words: string[]) => spawnSync('bash', ['-c', `source ${dir}/completion.bash
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _corral; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8', env: shellEnv() }).stdout.split('\n').filter(Boolean).sort();
  const zsh = (words: string[]) => spawnSync('zsh', ['-c', `compdef() { :; }
compadd() { shift; print -l -- "$@"; }
_files() { print -- '<files>'; }
source ${dir}/completion.zsh
words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}; _corral`], { encoding: 'utf8', env: shellEnv() }).stdout.split('\n').filter(Boolean).sort();
  const fish = (line: string) => spawnSync('fish', ['--no-config', '-c', `source ${dir}/completion.fish; complete -C '${line}'`], { encoding: 'utf8', env: shellEnv() })
    .stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]).sort();

  it('completes app, instance and operation ids in bash, zsh and fish', async () => {
    const instances = ((await api(cluster.url).get('/apis/v1/applications/web-1/instances')).body.data as Array<{ instanceId: string }>).map((i) => i.instanceId).sort();
    expect(instances.length).toBeGreaterThan(0);
    const operations = ((await api(cluster.url).get('/apis/v1/operations')).body.data as Array<{ operationId: string }>).map((o) => o.operationId).sort();

    expect(bash(['corral', '-c', 'local', 'apps', 'scale', ''])).toEqual(['idle-1', 'web-1']);
    expect(bash(['corral', 'appinstances', 'kill', 'web-1', ''])).toEqual(instances);
    expect(bash(['corral', 'ops', 'show', ''])).toEqual(operations);
    expect(bash(['corral', 'describe', 'app', 'w'])).toEqual(['web-1']);

    expect(zsh(['corral', '-c', 'local', 'apps', 'scale', ''])).toEqual(['idle-1', 'web-1']);
    expect(zsh(['corral', 'appinstances', 'info', 'web-1', ''])).toEqual(instances);

    expect(fish('corral -c local apps deploy ')).toEqual(['idle-1', 'web-1']);
    expect(fish('corral appinstances replace web-1 ')).toEqual(instances);
    expect(fish('corral ops watch ')).toEqual(operations);
  }, FLOW_TIMEOUT_MS);
});
