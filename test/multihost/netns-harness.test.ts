/**
 * The simulated-hosts harness itself (test/helpers/netns-*.ts): hosts reach each other and the
 * bridge (where PostgreSQL listens); a cut-off host reaches nothing and comes back; a blocked
 * pair loses only its own path; processes are found on the host they run on; and teardown, or
 * the next run's sweep after a crash, leaves nothing behind — namespaces, links, PostgreSQL,
 * processes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackChild } from '../helpers/child-processes.ts';
import { sweepLeftovers } from '../helpers/netns-cleanup.ts';
import { netnsUnavailableReason, startNetnsCluster, type NetnsCluster } from '../helpers/netns-cluster.ts';
import { run, type NetnsHost } from '../helpers/netns-network.ts';
import { waitFor } from '../helpers/wait-for.ts';

const NODE = path.join(fileURLToPath(new URL('../..', import.meta.url)), 'node_modules/.bin/node');
const SERVER_PORT = 5000;
const skipReason = netnsUnavailableReason();
let cluster: NetnsCluster;

/** Whether a TCP connection from `host` to address:port is accepted within 1.5 s. */
function connects(host: NetnsHost, address: string, port: number): boolean {
  const probe = `const s = require('net').connect(${port}, '${address}');
    s.on('connect', () => process.exit(0)); s.on('error', () => process.exit(1)); setTimeout(() => process.exit(2), 1500);`;
  return spawnSync('ip', ['netns', 'exec', host.namespace, NODE, '-e', probe], { timeout: 10_000 }).status === 0;
}

/** A TCP server on the host (port 5000 on its address), as a process in its namespace. */
function serveOn(host: NetnsHost): number {
  const child = spawn('ip', ['netns', 'exec', host.namespace, NODE, '-e',
    `require('net').createServer((s) => s.end()).listen(${SERVER_PORT}, '${host.address}'); setInterval(() => {}, 1000); // netns-harness-server`],
  { stdio: 'ignore' });
  trackChild(child);
  return child.pid!;
}

beforeAll(async () => {
  if (!skipReason) cluster = await startNetnsCluster();
});
afterAll(async () => cluster?.destroy());

describe.skipIf(skipReason !== undefined)(`simulated hosts${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('connects hosts and the bridge, cuts a host off and back, blocks one path, and tells which host a process runs on', async () => {
    const gatewayServer = net.createServer((s) => s.end());
    await new Promise<void>((resolve) => gatewayServer.listen(0, cluster.network.gateway, resolve));
    const gatewayPort = (gatewayServer.address() as net.AddressInfo).port;
    try {
      const [a, b] = [cluster.addHost('a'), cluster.addHost('b')];
      expect(cluster.network.subnet).toMatch(/^10\.\d+\.\d+\.0\/24$/);
      expect(a.address.startsWith(cluster.network.prefix)).toBe(true);
      const serverA = serveOn(a);
      const serverB = serveOn(b);
      await waitFor(() => connects(a, b.address, SERVER_PORT) && connects(b, a.address, SERVER_PORT), { timeoutMs: 20_000, message: 'a and b to serve' });
      expect(connects(a, cluster.network.gateway, gatewayPort)).toBe(true);
      expect(connects(a, cluster.postgres.address, cluster.postgres.port)).toBe(true);
      expect(cluster.network.runsOn(serverA, a)).toBe(true);
      expect(cluster.network.runsOn(serverA, b)).toBe(false);
      expect(cluster.network.pids(b)).toContain(serverB);
      expect(cluster.processesOn(b, 'netns-harness-server').map((p) => p.pid)).toEqual([serverB]);

      cluster.cutOff(a);
      expect(cluster.network.isConnected(a)).toBe(false);
      expect(connects(a, cluster.network.gateway, gatewayPort)).toBe(false);
      expect(connects(b, a.address, SERVER_PORT)).toBe(false);
      expect(connects(b, cluster.network.gateway, gatewayPort)).toBe(true);
      cluster.reconnect(a);
      expect(cluster.network.isConnected(a)).toBe(true);
      await waitFor(() => connects(a, cluster.network.gateway, gatewayPort) && connects(b, a.address, SERVER_PORT), { timeoutMs: 10_000, message: 'a back on the bridge' });

      cluster.network.block(a, b);
      expect(connects(a, b.address, SERVER_PORT)).toBe(false);
      expect(connects(b, a.address, SERVER_PORT)).toBe(false);
      expect(connects(a, cluster.network.gateway, gatewayPort)).toBe(true);
      cluster.network.unblock(a, b);
      expect(connects(a, b.address, SERVER_PORT)).toBe(true);
    } finally {
      gatewayServer.close();
    }
  }, 120_000);

  it('leaves nothing behind: teardown deletes hosts, links, PostgreSQL and processes; a crashed run is swept', async () => {
    // A leftover of a run whose process is gone: its tag starts with a pid that is not running.
    const deadTag = `${(4_194_000).toString(36).padStart(5, '0')}0`;
    const orphan = `corral-${deadTag}-gone`;
    run('ip', ['netns', 'add', orphan]);
    sweepLeftovers();
    expect(run('ip', ['netns', 'list'])).not.toContain(orphan);

    const host = cluster.addHost('c');
    const server = serveOn(host);
    await waitFor(() => cluster.network.pids(host).includes(server), { timeoutMs: 10_000 });
    const { network, postgres } = cluster;
    await cluster.destroy();
    expect(run('ip', ['netns', 'list'])).not.toContain(network.tag);
    expect(run('ip', ['-o', 'link', 'show'])).not.toContain(network.tag);
    expect(existsSync(postgres.dir)).toBe(false);
    await waitFor(() => {
      try {
        process.kill(server, 0);
        return false;
      } catch {
        return true;
      }
    }, { timeoutMs: 10_000, message: 'the host\'s process to be gone' });
    await expect(postgres.query('SELECT 1')).rejects.toThrow();
  }, 60_000);
});
