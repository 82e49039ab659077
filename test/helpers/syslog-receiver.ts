/**
 * A syslog server for tests: UDP (one message per datagram) or TCP (RFC 6587 octet counting),
 * parsing each RFC 5424 message strictly so a malformed header fails the test that sent it.
 *
 *   const receiver = await startSyslogReceiver('udp');
 *   ... logging: { type: 'RSYSLOG', server: receiver.server } ...
 *   const got = await receiver.waitFor((m) => m.msg === 'done');
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface SyslogMessage {
  pri: number;
  facility: number;
  severity: number;
  version: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  structuredData: string;
  msg: string;
  raw: string;
}

export interface SyslogReceiver {
  /** `udp://127.0.0.1:port` or `tcp://127.0.0.1:port`. */
  server: string;
  port: number;
  messages: SyslogMessage[];
  /** Raw payloads that did not parse as RFC 5424 (should stay empty). */
  malformed: string[];
  /** TCP connections accepted so far. */
  connections: number;
  waitFor(predicate: (messages: SyslogMessage[]) => boolean, timeoutMs?: number): Promise<SyslogMessage[]>;
  close(): Promise<void>;
}

// <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG (SD is nil here: corral sends none).
// APP-NAME up to 255, not RFC 5424's 48: corral sends Drove tags whole (see syslog-format.ts).
const RFC5424 = /^<(\d{1,3})>(1) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)) ([\x21-\x7e]{1,255}) ([\x21-\x7e]{1,255}) ([\x21-\x7e]{1,128}) ([\x21-\x7e]{1,32}) (-)(?: ([\s\S]*))?$/;

export function parseRfc5424(raw: string): SyslogMessage | undefined {
  const m = RFC5424.exec(raw);
  if (!m) return undefined;
  const pri = Number(m[1]);
  return {
    pri, facility: pri >> 3, severity: pri & 7, version: Number(m[2]), timestamp: m[3], hostname: m[4], appName: m[5],
    procId: m[6], msgId: m[7], structuredData: m[8], msg: m[9] ?? '', raw,
  };
}

export async function startSyslogReceiver(transport: 'udp' | 'tcp', port = 0): Promise<SyslogReceiver> {
  const messages: SyslogMessage[] = [];
  const malformed: string[] = [];
  const waiters = new Set<() => void>();
  const take = (raw: string) => {
    const parsed = parseRfc5424(raw);
    if (parsed) messages.push(parsed);
    else malformed.push(raw);
    for (const waiter of waiters) waiter();
  };
  let close: () => Promise<void>;
  let bound: number;
  let connections = 0;
  if (transport === 'udp') {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (data) => take(data.toString('utf8')));
    await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', resolve));
    bound = socket.address().port;
    close = () => new Promise((resolve) => socket.close(() => resolve()));
  } else {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      let buffer = Buffer.alloc(0);
      socket.on('data', (data: Buffer) => {
        buffer = Buffer.concat([buffer, data]);
        for (;;) {
          const space = buffer.indexOf(0x20);
          if (space < 0) return;
          const length = Number(buffer.subarray(0, space).toString('ascii'));
          if (!Number.isInteger(length) || length <= 0) {
            malformed.push(buffer.toString('utf8'));
            buffer = Buffer.alloc(0);
            return;
          }
          if (buffer.length < space + 1 + length) return;
          take(buffer.subarray(space + 1, space + 1 + length).toString('utf8'));
          buffer = buffer.subarray(space + 1 + length);
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    bound = (server.address() as AddressInfo).port;
    close = () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  }
  return {
    server: `${transport}://127.0.0.1:${bound}`,
    port: bound,
    messages,
    malformed,
    get connections() {
      return connections;
    },
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(messages)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(messages);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`syslog receiver: condition not met in ${timeoutMs} ms; got ${messages.length} messages: ${JSON.stringify(messages.map((m) => m.msg).slice(-10))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => close(),
  };
}
