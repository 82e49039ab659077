/**
 * `corral localservices …` and `corral lsinstances …` through the binary against a real
 * controller and two real executors: create, activate with --wait, list and inspect, instance
 * logs, restart, kill, deactivate and destroy, and the errors (exit codes, one readable line).
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/client/exit-codes.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { agentSpec, killMarked, startLocalServiceCluster, type LocalServiceCluster } from '../localservices/local-service-cluster.ts';
import { runCli, tempDir, type CliResult } from './helpers/run-cli.ts';

let cluster: LocalServiceCluster;
const marker = randomUUID();
const dir = tempDir();

beforeAll(async () => {
  cluster = await startLocalServiceCluster({ executors: 2 });
}, 60_000);
afterAll(async () => {
  await stopAllTestProcesses();
  killMarked(marker);
});

const corral = (...args: string[]) => runCli(['-e', cluster.controller.url, '-u', 'admin', '-p', 'admin', ...args]);

function ok(result: CliResult): CliResult {
  if (result.code !== 0) throw new Error(`exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
}

describe('corral localservices / lsinstances', () => {
  it('creates, activates with --wait, lists, restarts, kills, deactivates and destroys', async () => {
    const specFile = path.join(dir, 'agent.json');
    writeFileSync(specFile, JSON.stringify(agentSpec('cli-agent', marker)));
    expect(ok(await corral('localservices', 'create', specFile, '-n', '1')).stdout).toMatch(/Creation of local service cli-agent-1 accepted \(operation OP-/);
    expect(ok(await corral('localservices', 'list')).stdout).toMatch(/cli-agent-1\s+cli-agent\s+INACTIVE\s+INACTIVE\s+1\s+0/);

    const activated = ok(await corral('localservices', 'activate', 'cli-agent-1', '--wait'));
    expect(activated.stdout).toMatch(/Activation of cli-agent-1 accepted/);
    expect(activated.stdout).toMatch(/COMPLETED/);
    const summary = ok(await corral('localservices', 'summary', 'cli-agent-1')).stdout;
    expect(summary).toMatch(/State:\s+ACTIVE/);
    expect(summary).toMatch(/Healthy Instances:\s+2/);

    const instances = JSON.parse(ok(await corral('lsinstances', 'list', 'cli-agent-1', '-o', 'json')).stdout) as { instanceId: string; serviceId: string }[];
    expect(instances).toHaveLength(2);
    expect(instances[0].serviceId).toBe('cli-agent-1');
    const table = ok(await corral('lsinstances', 'list', 'cli-agent-1')).stdout;
    expect(table).toMatch(/SI-[0-9a-f-]+\s+HEALTHY\s+127\.0\.0\.1\s+metrics:9100->\d+\(HTTP\)/);
    expect(ok(await corral('lsinstances', 'info', 'cli-agent-1', instances[0].instanceId)).stdout).toMatch(/Service Name:\s+cli-agent/);
    expect(ok(await corral('lsinstances', 'logs', 'cli-agent-1', instances[0].instanceId)).stdout).toMatch(/output\.log/);

    expect(ok(await corral('localservices', 'restart', 'cli-agent-1', '--wait', '-p', '2')).stdout).toMatch(/COMPLETED/);
    const restarted = JSON.parse(ok(await corral('lsinstances', 'list', 'cli-agent-1', '-o', 'json')).stdout) as { instanceId: string }[];
    expect(restarted.map((i) => i.instanceId).filter((id) => instances.some((i) => i.instanceId === id))).toEqual([]);

    expect(ok(await corral('lsinstances', 'kill', 'cli-agent-1', restarted[0].instanceId, '--wait')).stdout).toMatch(/COMPLETED/);
    // The monitor's adjustment brings the instance back; until it is done the service takes no other operation.
    await waitFor(async () => {
      const now = await cluster.summary('cli-agent-1');
      return now.state === 'ACTIVE' && now.healthyInstances === 2;
    }, { timeoutMs: 30_000, message: 'the killed instance replaced' });
    expect(ok(await corral('localservices', 'update-instance-count', 'cli-agent-1', '2', '--wait')).stdout).toMatch(/COMPLETED/);
    expect(ok(await corral('localservices', 'deactivate', 'cli-agent-1', '--wait')).stdout).toMatch(/COMPLETED/);
    expect(ok(await corral('localservices', 'destroy', 'cli-agent-1', '--wait')).stdout).toMatch(/COMPLETED/);
    const empty = ok(await corral('localservices', 'list'));
    expect(empty.stdout + empty.stderr).toMatch(/No local services/);
  }, 180_000);

  it('says what is wrong in one line, with the exit code of its class', async () => {
    const missing = await corral('localservices', 'summary', 'nope-1');
    expect(missing.code).toBe(EXIT.NOT_FOUND);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/Local service nope-1 not found/);

    const refused = await corral('localservices', 'activate', 'nope-1');
    expect(refused.code).toBe(EXIT.FAILED);
    expect(refused.stderr).toMatch(/No state found for local service: nope-1/);

    const usage = await corral('localservices', 'create', path.join(dir, 'agent.json'), '-n', '300');
    expect(usage.code).toBe(EXIT.USAGE);
    expect(usage.stderr).toMatch(/--instances-per-host must be a whole number from 1 to 256/);
  }, 60_000);
});
