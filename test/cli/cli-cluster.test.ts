/**
 * The client CLI against a real `corral dev` cluster (controller + one process-driver executor),
 * all through the binary: every `drove -c local …` command of Drove's task and application operations documents (docs/sources.md), the reads,
 * --wait with progress, Ctrl-C while waiting (with and without a terminal), tail -f, event
 * following, and the error classes (exit codes) a cluster can produce.
 *
 * The flows share one cluster and run one after another (on 2 cores, running them concurrently
 * only starves each of them); blacklisting and maintenance mode, which affect everyone, run last.
 * Slow operations use a 10-minute readiness delay so they are still running when interrupted.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/client/exit-codes.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { api } from '../helpers/api-client.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { startDevCluster, type DevCluster } from './helpers/dev-cluster.ts';
import { BIN, NODE, captureCli, cliEnv, collect, runCli, startCli, tempDir, waitForOutput, type CliResult } from './helpers/run-cli.ts';

/** Each flow runs a dozen or more CLI commands against a busy 2-core machine. */
const FLOW_TIMEOUT_MS = 180_000;

let cluster: DevCluster;
const dir = tempDir();
const configFile = path.join(dir, 'corral-config');
const env = { CORRAL_CONFIG: configFile };

/** `corral -c local …`, as Drove's documents write `drove -c local …`. */
const corral = (...args: string[]) => runCli(['-c', 'local', ...args], { env });

function ok(result: CliResult): CliResult {
  if (result.code !== 0) throw new Error(`exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
}

/** Direct API reads for checks and polls, so only the command under test costs a CLI start. */
async function read<T = any>(apiPath: string): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const { body } = await api(cluster.url).get(`/apis/v1${apiPath}`);
  return body.data as T;
}

async function taskState(taskId: string): Promise<string | undefined> {
  return (await read<{ state?: string } | undefined>(`/tasks/TEST_APP/instances/${taskId}`))?.state;
}

function operationIdOf(stdout: string): string {
  const match = /\(operation (OP-[0-9a-f-]+)\)/.exec(stdout);
  if (!match) throw new Error(`no operation id in: ${stdout}`);
  return match[1];
}

const checks = {
  healthcheck: { mode: { type: 'CMD', command: 'true' }, timeout: '1s', interval: '1s', attempts: 3 },
  readiness: { mode: { type: 'CMD', command: 'true' }, timeout: '1s', interval: '1s', attempts: 3 },
};

function appSpec(name: string, readinessDelay?: string): string {
  const spec = {
    name, version: '1', type: 'SERVICE',
    executable: { type: 'PROCESS', command: '/bin/sleep' },
    args: ['3600'],
    exposedPorts: [{ name: 'main', port: 8000, type: 'HTTP' }],
    exposureSpec: { vhost: `${name.toLowerCase()}.local`, portName: 'main', mode: 'ALL' },
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
    ...checks,
    readiness: readinessDelay ? { ...checks.readiness, initialDelay: readinessDelay } : checks.readiness,
  };
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

function taskSpec(taskId: string, script: string): string {
  const spec = {
    sourceAppName: 'TEST_APP', taskId,
    executable: { type: 'PROCESS', command: '/bin/sh' },
    args: ['-c', script],
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
  };
  const file = path.join(dir, `task-${taskId}.json`);
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

beforeAll(async () => {
  cluster = await startDevCluster();
  ok(await runCli(['config', 'add-cluster', 'local', '-e', cluster.url, '-u', 'admin', '-p', 'admin'], { env }));
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  await stopAllTestProcesses();
}, 60_000);

describe('against a dev cluster', () => {
  it('cluster reads: ping, summary, leader, executors', async () => {
    expect(ok(await corral('cluster', 'ping')).stdout).toContain(`Cluster ping successful (leader ${cluster.url}`);
    const summary = ok(await corral('cluster', 'summary')).stdout;
    expect(summary).toMatch(/^Executors: +1$/m);
    expect(summary).toMatch(/^State: +NORMAL$/m);
    expect(ok(await corral('cluster', 'leader')).stdout.trim()).toBe(cluster.url.replace('http://', ''));
    const executors = JSON.parse(ok(await corral('executor', 'list', '--json')).stdout) as Array<{ executorId: string; state: string }>;
    expect(executors).toHaveLength(1);
    const table = ok(await corral('executor', 'list')).stdout;
    expect(table).toMatch(/^Id\s+Host\s+Port\s+Transport\s+Free Cores\s+Used Cores\s+Free Memory\s+Used Memory\s+Tags\s+State$/m);
    expect(table).toContain(executors[0].executorId);
    expect(ok(await corral('executor', 'info', executors[0].executorId)).stdout).toMatch(/^State: +ACTIVE$/m);
    const missing = await corral('executor', 'info', 'no-such-executor');
    expect([missing.code, missing.stderr]).toEqual([EXIT.NOT_FOUND, `corral: no executor no-such-executor; the executors are ${executors[0].executorId} (corral executor list)\n`]);
  }, FLOW_TIMEOUT_MS);

  it('Drove app operations: create, deploy, scale, kill, replace, restart, suspend, destroy an app', async () => {
    const spec = appSpec('TEST_APP');
    let r = ok(await corral('apps', 'create', spec, '--wait'));
    expect(r.stdout).toMatch(/^Creation of app TEST_APP-1 accepted \(operation OP-.+\)\nOperation OP-\S+ COMPLETED/);
    r = await corral('apps', 'create', spec);
    expect([r.code, r.stderr]).toEqual([EXIT.FAILED, 'corral: Command validation failure: App TEST_APP-1 already exists\n']);
    expect(ok(await corral('apps', 'list')).stdout).toMatch(/^TEST_APP-1\s+TEST_APP\s+MONITORING\s+0\s+0 MB\s+0\s+0\s+\d{4}-/m);
    expect(JSON.parse(ok(await corral('apps', 'spec', 'TEST_APP-1')).stdout)).toMatchObject({ name: 'TEST_APP', version: '1' });

    r = ok(await corral('apps', 'deploy', 'TEST_APP-1', '2', '--wait'));
    expect(r.stderr).toMatch(/OP-\S+ (RUNNING|COMPLETED): \d\/2 done, 0 failed, \d in flight/);
    expect(r.stdout).toMatch(/COMPLETED after/);
    const summary = ok(await corral('apps', 'summary', 'TEST_APP-1')).stdout;
    expect(summary).toMatch(/^Healthy Instances: +2$/m);

    // Global -p (password) before the command, the operation's -p (parallelism) after it.
    r = ok(await runCli(['-c', 'local', '-u', 'admin', '-p', 'admin', '-d', 'apps', 'scale', 'TEST_APP-1', '3', '-p', '4', '-t', '2m', '--wait'], { env }));
    expect(r.stderr).toContain('"opSpec":{"timeout":"2m","parallelism":4,"failureStrategy":"STOP"}');
    let instances = JSON.parse(ok(await corral('appinstances', 'list', 'TEST_APP-1', '--json')).stdout) as Array<{ instanceId: string; state: string }>;
    expect(instances.map((i) => i.state)).toEqual(['HEALTHY', 'HEALTHY', 'HEALTHY']);
    const table = ok(await corral('appinstances', 'list', 'TEST_APP-1', '--sort', '0')).stdout;
    expect(table).toMatch(/^Id\s+State\s+Host\s+Ports\s+CPU\s+Memory\s+Created\s+Updated\s+Error$/m);
    expect(table).toMatch(/main:8000->\d+\(HTTP\)/);
    expect(ok(await corral('appinstances', 'info', 'TEST_APP-1', instances[0].instanceId)).stdout).toMatch(/^State: +HEALTHY$/m);
    expect(ok(await corral('appinstances', 'logs', 'TEST_APP-1', instances[0].instanceId)).stdout).toContain('output.log');

    // Drove's documented spelling: `apps appinstances kill`.
    ok(await corral('apps', 'appinstances', 'kill', 'TEST_APP-1', instances[0].instanceId, '--wait'));
    instances = await read('/applications/TEST_APP-1/instances');
    expect(instances).toHaveLength(2);
    const old = ok(await corral('appinstances', 'list', 'TEST_APP-1', '--old')).stdout;
    expect(old).toMatch(/STOPPED/);

    ok(await corral('appinstances', 'replace', 'TEST_APP-1', instances[0].instanceId, '--wait'));
    const afterReplace = await read<Array<{ instanceId: string }>>('/applications/TEST_APP-1/instances');
    expect(afterReplace.map((i) => i.instanceId)).not.toContain(instances[0].instanceId);
    ok(await corral('apps', 'restart', 'TEST_APP-1', '-p', '2', '--wait'));

    const endpoints = ok(await corral('cluster', 'endpoints', '--vhost', 'test_app.local')).stdout;
    expect(endpoints.split('\n').filter((l) => l.startsWith('test_app.local'))).toHaveLength(2);

    const described = ok(await corral('describe', 'app', 'TEST_APP-1')).stdout;
    for (const heading of ['Application:', 'Spec:', 'Instances:', 'Old Instances (latest 5):', 'Operations:', 'Recent Events:']) expect(described).toContain(heading);
    expect(described).toMatch(/REPLACE_INSTANCES\s+TEST_APP-1\s+COMPLETED/);
    expect(ok(await corral('describe', 'instance', 'TEST_APP-1', afterReplace[1].instanceId)).stdout).toContain('Log Files:\n  output.log');

    r = await corral('apps', 'cancelop', 'TEST_APP-1');
    expect([r.code, r.stderr]).toEqual([EXIT.FAILED, 'corral: Current operation could not be cancelled\n']);

    ok(await corral('apps', 'suspend', 'TEST_APP-1', '--wait'));
    expect((await read('/applications/TEST_APP-1')).state).toBe('MONITORING');
    ok(await corral('apps', 'destroy', 'TEST_APP-1', '--wait'));
    r = await corral('apps', 'summary', 'TEST_APP-1');
    expect([r.code, r.stderr]).toEqual([EXIT.NOT_FOUND, expect.stringMatching(/^corral: no app TEST_APP-1; (the apps are .*\(corral apps list\)|there are no apps yet .*)\n$/)]);
    r = await corral('apps', 'scale', 'TEST_APP-1', '1');
    expect([r.code, r.stderr]).toEqual([EXIT.NOT_FOUND, expect.stringMatching(/^corral: no app TEST_APP-1; /)]);
  }, FLOW_TIMEOUT_MS);

  it('Drove task operations: create a task and read its result and logs; tail -f, kill and abort running ones', async () => {
    // The pause keeps the task alive past the process driver's start(): a child that exits while
    // start() awaits closing its log descriptor loses its 'exit' event and stays RUNNING
    // (reported to the executor's owner; not a CLI matter).
    let r = ok(await corral('tasks', 'create', taskSpec('T0012', 'echo hello-from-task; sleep 0.3; echo second-line'), '--wait'));
    expect(r.stdout).toContain('Task TEST_APP/T0012: STOPPED, result SUCCESSFUL (exit 0)');
    expect(ok(await corral('tasks', 'show', 'TEST_APP', 'T0012')).stdout).toMatch(/^Result: +SUCCESSFUL \(exit 0\)$/m);
    expect(ok(await corral('tasks', 'logs', 'TEST_APP', 'T0012')).stdout).toBe('output.log\n');
    expect(ok(await corral('tasks', 'tail', 'TEST_APP', 'T0012', '--no-follow', '-n', '1')).stdout).toBe('second-line\n');
    ok(await runCli(['-c', 'local', 'tasks', 'download', 'TEST_APP', 'T0012', '-o', `${dir}/`], { env }));
    expect(readFileSync(path.join(dir, 'output.log'), 'utf8')).toBe('hello-from-task\nsecond-line\n');
    const described = ok(await corral('describe', 'task', 'TEST_APP', 'T0012')).stdout;
    expect(described).toMatch(/Events:\n(.|\n)*Terminated/);

    ok(await corral('tasks', 'create', taskSpec('T-TICK', 'i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.2; done')));
    await waitFor(async () => (await taskState('T-TICK')) === 'RUNNING', { timeoutMs: 15_000, message: 'T-TICK running' });
    expect(ok(await corral('tasks', 'list', '--app', 'TEST_APP')).stdout).toMatch(/^TEST_APP\s+T-TICK\s+RUNNING\s/m);
    const tail = startCli(['-c', 'local', 'tasks', 'tail', 'TEST_APP', 'T-TICK'], { env });
    const tailed = collect(tail);
    let seen: string;
    try {
      seen = await waitForOutput(tail, /tick-(\d+)\n(.|\n)*tick-\d+\n(.|\n)*tick-\d+\n/);
    } finally {
      tail.kill('SIGINT');
    }
    const tailResult = await tailed;
    expect(tailResult.code).toBe(0);
    const ticks = [...seen.matchAll(/tick-(\d+)/g)].map((m) => Number(m[1]));
    expect(ticks.slice(1).every((n, i) => n === ticks[i] + 1)).toBe(true);

    r = ok(await corral('tasks', 'kill', 'TEST_APP', 'T-TICK', '--wait'));
    expect(r.stdout).toMatch(/Kill of task TEST_APP\/T-TICK accepted(.|\n)*COMPLETED/);
    expect(ok(await corral('tasks', 'show', 'TEST_APP', 'T-TICK')).stdout).toMatch(/^Result: +CANCELLED \(exit -1\)$/m);

    ok(await corral('tasks', 'create', taskSpec('T-SLEEP', 'exec sleep 60')));
    await waitFor(async () => (await taskState('T-SLEEP')) === 'RUNNING', { timeoutMs: 15_000, message: 'T-SLEEP running' });
    expect(ok(await corral('tasks', 'abort', 'TEST_APP', 'T-SLEEP', '--force')).stdout).toBe('TEST_APP/T-SLEEP: abort requested\n');
    await waitFor(async () => (await taskState('T-SLEEP')) === 'STOPPED', { timeoutMs: 15_000, message: 'T-SLEEP stopped' });

    const noTask = 'corral: no task TEST_APP/NOPE; see corral tasks list (active tasks) or corral cluster events --type TASK_STATE_CHANGE\n';
    r = await corral('tasks', 'show', 'TEST_APP', 'NOPE');
    expect([r.code, r.stderr]).toEqual([EXIT.NOT_FOUND, noTask]);
    r = await corral('tasks', 'kill', 'TEST_APP', 'NOPE');
    expect([r.code, r.stderr]).toEqual([EXIT.NOT_FOUND, noTask]);
    // A task that exists but has finished keeps the controller's answer (exit 1).
    r = await corral('tasks', 'kill', 'TEST_APP', 'T0012');
    expect([r.code, r.stderr]).toEqual([EXIT.FAILED, 'corral: Command validation failure: Either task does not exist or has already finished for TEST_APP/T0012\n']);
  }, FLOW_TIMEOUT_MS);

  it('--wait interrupted by Ctrl-C: without a terminal it stops watching; ops show, abort and watch', async () => {
    ok(await corral('apps', 'create', appSpec('SLOW_APP', '10 minutes'), '--wait'));
    const deploy = startCli(['-c', 'local', 'apps', 'deploy', 'SLOW_APP-1', '1', '--wait'], { env });
    const done = collect(deploy);
    try {
      await waitForOutput(deploy, /RUNNING: 0\/1 done, 0 failed, 1 in flight/, 20_000, 'stderr');
    } finally {
      deploy.kill('SIGINT');
    }
    const result = await done;
    expect(result.code).toBe(EXIT.INTERRUPTED);
    const operationId = operationIdOf(result.stdout);
    expect(result.stderr).toContain(`corral: stopped watching; ${operationId} keeps running (watch it again: corral ops watch ${operationId}; abort it: corral ops abort ${operationId})`);

    expect(ok(await corral('ops', 'list', '--state', 'ACTIVE', '--app', 'SLOW_APP-1')).stdout).toMatch(new RegExp(`^${operationId}\\s+START_INSTANCES\\s+SLOW_APP-1\\s+RUNNING`, 'm'));
    expect(ok(await corral('ops', 'show', operationId)).stdout).toMatch(/^State: +RUNNING$/m);
    expect(ok(await corral('ops', 'abort', operationId, '--force')).stdout).toBe(`${operationId}: abort (force) requested\n`);
    const watched = await corral('ops', 'watch', operationId);
    expect(watched.code).toBe(EXIT.OPERATION_NOT_COMPLETED);
    expect(watched.stderr).toMatch(new RegExp(`corral: operation ${operationId} ended CANCELLED`));
    const missing = await corral('ops', 'show', 'OP-nope');
    expect([missing.code, missing.stderr]).toEqual([EXIT.NOT_FOUND, 'corral: no operation OP-nope; see corral ops list\n']);
  }, FLOW_TIMEOUT_MS);

  it('--wait interrupted by Ctrl-C on a terminal asks, and a forced abort ends the operation CANCELLED', async () => {
    ok(await corral('apps', 'create', appSpec('TTY_APP', '10 minutes'), '--wait'));
    // `script` gives the CLI a real pseudo-terminal; Ctrl-C is typed as \x03.
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    // `exec`, so the CLI is the only process in the terminal's foreground group: `script` runs the
    // command through $SHELL, and a shell left waiting (dash does not exec a lone command) would
    // take the Ctrl-C too and die of it, reporting 130 whatever the CLI exits with.
    const command = `exec ${[NODE, BIN, '-c', 'local', 'apps', 'deploy', 'TTY_APP-1', '1', '--wait'].map(quote).join(' ')}`;
    const child = captureCli(spawn('script', ['-qfec', command, '/dev/null'], { env: { ...cliEnv(env), SHELL: '/bin/sh' }, stdio: ['pipe', 'pipe', 'pipe'] }));
    const done = collect(child, { timeoutMs: 40_000 });
    try {
      await waitForOutput(child, /RUNNING: 0\/1 done, 0 failed, 1 in flight/);
      child.stdin.write('\x03');
      await waitForOutput(child, /Abort operation OP-\S+\? \[y\]es gracefully \/ \[f\]orce \/ \[N\]o, leave it running: /);
      child.stdin.write('f\n');
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    const result = await done;
    expect(result.stdout).toMatch(/abort \(force\) of OP-\S+ requested; waiting for it to stop/);
    expect(result.stdout).toMatch(/corral: operation OP-\S+ ended CANCELLED/);
    expect(result.code).toBe(EXIT.OPERATION_NOT_COMPLETED);
  }, FLOW_TIMEOUT_MS);

  it('events: recent list and --follow over the stream', async () => {
    const follow = startCli(['-c', 'local', 'cluster', 'events', '--follow', '--type', 'APP_STATE_CHANGE', '-n', '0'], { env });
    const followed = collect(follow);
    try {
      await waitForOutput(follow, 'corral: following cluster events; Ctrl-C stops', 15_000, 'stderr');
      ok(await corral('apps', 'create', appSpec('EVENT_APP'), '--wait'));
      await waitForOutput(follow, /APP_STATE_CHANGE +APP_ID=EVENT_APP-1 .*CURRENT_STATE=MONITORING/, 15_000);
    } finally {
      follow.kill('SIGINT');
    }
    expect((await followed).code).toBe(0);
    const recent = ok(await corral('cluster', 'events', '-n', '3', '--type', 'APP_STATE_CHANGE')).stdout.trim().split('\n');
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.length).toBeLessThanOrEqual(3);
    for (const line of recent) expect(line).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}APP_STATE_CHANGE /);
    expect(JSON.parse(ok(await corral('cluster', 'events', '-n', '2', '--json')).stdout)).toHaveLength(2);
  }, FLOW_TIMEOUT_MS);

  it('credentials and roles: wrong password exits 4, a read-only user writing exits 5', async () => {
    const wrong = await runCli(['-c', 'local', '-p', 'wrong', 'apps', 'list'], { env });
    expect(wrong.code).toBe(EXIT.UNAUTHORIZED);
    expect(wrong.stderr).toMatch(/^corral: http:\/\/127\.0\.0\.1:\d+ \(HTTP 401\) refused the credentials; .*, or fix cluster "local" in /);
    const guest = await runCli(['-c', 'local', '-u', 'guest', '-p', 'guest', 'apps', 'create', appSpec('GUEST_APP')], { env });
    expect(guest.code).toBe(EXIT.FORBIDDEN);
    expect(guest.stderr).toBe('corral: your role is not allowed to do this (HTTP 403 on POST /apis/v1/applications/operations); use an account with the needed role\n');
    expect(ok(await runCli(['-c', 'local', '-u', 'guest', '-p', 'guest', 'cluster', 'ping'], { env })).code).toBe(0);
  }, FLOW_TIMEOUT_MS);
});

describe('cluster-wide changes', () => {
  it('blacklists and unblacklists the executor', async () => {
    const [executor] = JSON.parse(ok(await corral('executor', 'list', '--json')).stdout) as Array<{ executorId: string }>;
    const blacklisted = ok(await corral('executor', 'blacklist', executor.executorId)).stdout;
    expect(blacklisted).toContain(`Blacklisted: ${executor.executorId}`);
    expect(ok(await corral('executor', 'info', executor.executorId)).stdout).toMatch(/^Blacklisted: +true$/m);
    expect(ok(await corral('executor', 'unblacklist', executor.executorId)).stdout).toContain(`Unblacklisted: ${executor.executorId}`);
    const unknown = await corral('executor', 'blacklist', 'no-such-executor');
    expect(unknown.code).toBe(EXIT.NOT_FOUND);
    expect(unknown.stderr).toBe(`corral: no executor no-such-executor; the executors are ${executor.executorId} (corral executor list)\n`);
    expect(unknown.stdout).toContain('Failed: no-such-executor');
  }, FLOW_TIMEOUT_MS);

  it('maintenance mode blocks operations until it is turned off', async () => {
    expect(ok(await corral('cluster', 'maintenance-on')).stdout).toMatch(/^Cluster state: MAINTENANCE \(since \d{4}-/);
    const blocked = await corral('apps', 'create', appSpec('MAINT_APP'));
    expect([blocked.code, blocked.stderr]).toEqual([EXIT.FAILED, 'corral: Command validation failure: Cluster is in maintenance mode\n']);
    expect(ok(await corral('cluster', 'maintenance-off', '--json')).stdout).toMatch(/"state": "NORMAL"/);
    const described = JSON.parse(ok(await corral('describe', 'cluster', '--json')).stdout) as { summary: { state: string }; executors: unknown[] };
    expect(described.summary.state).toBe('NORMAL');
    expect(described.executors).toHaveLength(1);
  }, FLOW_TIMEOUT_MS);
});
