/** Workloads for the dashboard tests: real processes (Node's own binary) the executors run. */

export const OP_SPEC = { timeout: '1 minute', parallelism: 1, failureStrategy: 'STOP' };

/**
 * A PROCESS app: a small HTTP server on PORT_8080 that logs one line with markup in it at start
 * and one per request (health checks keep the log moving). `startDelayMs` makes each instance
 * take that long to listen, so a scale runs slowly enough to be aborted while it runs.
 */
export function nodeAppSpec(name: string, options: { env?: Record<string, string>; startDelayMs?: number } = {}): Record<string, unknown> {
  const script = [
    "const http = require('node:http');",
    'const port = Number(process.env.PORT_8080);',
    "const server = http.createServer((req, res) => { console.log('request ' + req.url); res.end('ok'); });",
    `setTimeout(() => server.listen(port, '127.0.0.1', () => console.log('<b>${name}</b> listening on ' + port)), ${options.startDelayMs ?? 0});`,
    "process.on('SIGTERM', () => process.exit(0));",
  ].join('\n');
  return {
    name, version: '1', type: 'SERVICE',
    executable: { type: 'PROCESS', command: process.execPath },
    args: ['-e', script],
    env: options.env,
    exposedPorts: [{ name: 'main', port: 8080, type: 'HTTP' }],
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
    readiness: { mode: { type: 'HTTP', portName: 'main', path: '/', verb: 'GET', successCodes: [200] }, timeout: '500 ms', interval: '200 ms', attempts: 50 },
    healthcheck: { mode: { type: 'HTTP', portName: 'main', path: '/', verb: 'GET', successCodes: [200] }, timeout: '500 ms', interval: '500 ms', attempts: 3 },
  };
}
