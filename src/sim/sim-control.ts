/**
 * Commands a running `corral sim` takes, one line each, from its stdin or from its HTTP control
 * endpoint (`--control-port`): the same words either way.
 *
 *   status                  counts: started, connected, partitioned, killed, workloads
 *   kill 10% | kill 25      those machines die (silent connection, workloads gone)
 *   partition 10%           those machines are cut off (silent connection, workloads keep running)
 *   heal                    every partition ends
 *   revive                  every killed machine boots again, empty, under the same identity
 *   executors [up|killed…]  the executor ids of the fleet, or of those in that state
 *
 * HTTP: `POST /kill?amount=10%`, `POST /partition?amount=10%`, `POST /heal`, `POST /revive`,
 * `GET /status`, `GET /executors?state=up`, answered with JSON (`{"executorIds": […]}`, `{"count": n}`, the status); a bad
 * command is a 400 with `{"message": "…"}`. The endpoint listens on loopback only.
 */
import http from 'node:http';
import type { SimFleet, SlotState } from './sim-fleet.ts';

const SLOT_STATES: readonly SlotState[] = ['starting', 'up', 'partitioned', 'killed'];

export class SimCommandError extends Error {}

/** Runs one command line; resolves with what to answer (JSON-able). */
export async function runSimCommand(fleet: SimFleet, line: string): Promise<unknown> {
  const [word, amount, ...rest] = line.trim().split(/\s+/);
  const needsAmount = word === 'kill' || word === 'partition';
  if (needsAmount && (amount === undefined || rest.length > 0)) throw new SimCommandError(`${word} takes one amount: a count (25) or a share (10%)`);
  if (word === 'executors') {
    if (rest.length > 0 || (amount !== undefined && !SLOT_STATES.includes(amount as SlotState))) {
      throw new SimCommandError(`executors takes at most one state: ${SLOT_STATES.join(', ')}`);
    }
    return { executorIds: fleet.executorIds(amount as SlotState | undefined) };
  }
  if (!needsAmount && amount !== undefined) throw new SimCommandError(`${word} takes no argument`);
  const guard = async <T>(fn: () => T | Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw new SimCommandError((error as Error).message);
    }
  };
  switch (word) {
    case 'status':
      return fleet.status();
    case 'kill':
      return { executorIds: await guard(() => fleet.kill(amount!)) };
    case 'partition':
      return { executorIds: await guard(() => fleet.partition(amount!)) };
    case 'heal':
      return { count: fleet.heal() };
    case 'revive':
      return { count: await fleet.revive() };
    default:
      throw new SimCommandError(`unknown command "${word ?? ''}": status, executors [STATE], kill N|P%, partition N|P%, heal, revive`);
  }
}

const ROUTES: Record<string, { method: string; word: string }> = {
  '/status': { method: 'GET', word: 'status' },
  '/executors': { method: 'GET', word: 'executors' },
  '/kill': { method: 'POST', word: 'kill' },
  '/partition': { method: 'POST', word: 'partition' },
  '/heal': { method: 'POST', word: 'heal' },
  '/revive': { method: 'POST', word: 'revive' },
};

/** Serves the commands over HTTP on loopback; resolves with the bound port and a close function. */
export async function serveSimControl(fleet: SimFleet, port: number): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const url = new URL(request.url ?? '/', 'http://sim');
    const route = ROUTES[url.pathname];
    if (!route) return answer(404, { message: `no such command: ${url.pathname} (GET /status, /executors, POST /kill, /partition, /heal, /revive)` });
    if (request.method !== route.method) return answer(405, { message: `${url.pathname} takes ${route.method}` });
    const amount = url.searchParams.get(route.word === 'executors' ? 'state' : 'amount');
    const line = amount === null ? route.word : `${route.word} ${amount}`;
    runSimCommand(fleet, line).then((result) => answer(200, result), (error: unknown) => {
      answer(error instanceof SimCommandError ? 400 : 500, { message: (error as Error).message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
