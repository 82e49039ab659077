/**
 * Leader discovery with several endpoints. A follower needs two controllers sharing a
 * PostgreSQL store; to keep this file fast, the follower here is a minimal HTTP stub answering
 * exactly what docs/api.md §1.6 prescribes for a follower (400 "This node is not the leader
 * controller" on every request). The leader is a real controller from the test harness.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/client/exit-codes.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { runCli } from './helpers/run-cli.ts';

let leader: TestController;
const followers: http.Server[] = [];
let follower = '';
let followerNamingLeader = '';
const hits: string[] = [];

function startFollower(leaderHeader?: string): Promise<string> {
  const server = http.createServer((request, response) => {
    hits.push(`${request.method} ${request.url}`);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (leaderHeader) headers['x-corral-leader'] = leaderHeader;
    response.writeHead(400, headers).end(JSON.stringify({ status: 'FAILED', message: 'This node is not the leader controller' }));
  });
  followers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  leader = await startTestController();
  follower = await startFollower();
  followerNamingLeader = await startFollower(leader.url);
});

afterAll(async () => {
  for (const server of followers) server.close();
  await stopAllTestProcesses();
});

describe('finding the leader by ping', () => {
  it('talks to the leader wherever it is in the endpoint list', async () => {
    hits.length = 0;
    const result = await runCli(['-e', `${follower},${leader.url}`, '-u', 'admin', '-p', 'admin', 'cluster', 'summary', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).leader).toBe(`127.0.0.1:${leader.port}`);
    // The follower was only pinged, never asked the question itself.
    expect(hits).toEqual(['GET /apis/v1/ping']);
  });

  it('exits 6 with one line when only followers answer', async () => {
    const result = await runCli(['-e', follower, '-u', 'admin', '-p', 'admin', 'apps', 'list']);
    expect(result.code).toBe(EXIT.NOT_LEADER);
    expect(result.stderr).toBe(`corral: no leader among ${follower} (not the leader); pass the leader's address, or every controller (-e http://c1:4000,http://c2:4000) so the CLI can find it\n`);
  });

  it('names the leader when the follower reports it', async () => {
    const result = await runCli(['-e', followerNamingLeader, 'cluster', 'ping']);
    expect(result.code).toBe(EXIT.NOT_LEADER);
    expect(result.stderr).toContain(`the leader is ${leader.url}: use -e ${leader.url}`);
  });

  it('reports wrong credentials as exit 4 even when the list also holds a follower', async () => {
    const result = await runCli(['-e', `${follower},${leader.url}`, '-u', 'admin', '-p', 'wrong', 'cluster', 'ping']);
    expect(result.code).toBe(EXIT.UNAUTHORIZED);
    expect(result.stderr).toBe(`corral: ${leader.url} (HTTP 401) refused the credentials; pass the right ones with -u/-p (or -t) before the command, or set CORRAL_USERNAME/CORRAL_PASSWORD\n`);
  });

  it('takes endpoints and credentials from CORRAL_ENDPOINT / CORRAL_USERNAME / CORRAL_PASSWORD', async () => {
    const env = { CORRAL_ENDPOINT: `${follower},${leader.url}`, CORRAL_USERNAME: 'admin', CORRAL_PASSWORD: 'admin' };
    const result = await runCli(['cluster', 'leader'], { env });
    expect([result.code, result.stdout]).toEqual([0, `127.0.0.1:${leader.port}\n`]);
    const flagWins = await runCli(['-p', 'wrong', 'cluster', 'leader'], { env });
    expect(flagWins.code).toBe(EXIT.UNAUTHORIZED);
  });

  it('skips an unreachable endpoint and uses the leader', async () => {
    const result = await runCli(['-e', `http://127.0.0.1:1,${leader.url}`, '-u', 'admin', '-p', 'admin', 'cluster', 'ping']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Cluster ping successful (leader ${leader.url}`);
  });
});
