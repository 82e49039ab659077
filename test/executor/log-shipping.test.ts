/**
 * RSYSLOG shipping below the runner: the LogShipper following real files and sending to real
 * UDP and TCP syslog receivers — RFC 5424 headers, octet counting, copytruncate rotation (no
 * line doubled or skipped), a file truncated behind its back, resuming from the cursor after a
 * shutdown, long lines, and servers that are down, refuse or do not resolve.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFile, open, readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/common/logger.ts';
import { LogRotator } from '../../src/executor/logs/log-rotator.ts';
import type { ShipRequest } from '../../src/executor/logs/log-shipper.ts';
import { LogShipper } from '../../src/executor/logs/log-shipper.ts';
import { parseSyslogAddress, syslogTag } from '../../src/executor/logs/syslog-format.ts';
import { captureLogLines } from '../helpers/log-capture.ts';
import { freePort } from '../helpers/free-port.ts';
import type { SyslogReceiver } from '../helpers/syslog-receiver.ts';
import { startSyslogReceiver } from '../helpers/syslog-receiver.ts';
import { eventually, tempDir } from './helpers/workload-fixtures.ts';

let dir: string;
let cleanup: () => Promise<void>;
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('corral-ship-'));
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await cleanup();
});

async function receiver(transport: 'udp' | 'tcp', port?: number): Promise<SyslogReceiver> {
  const r = await startSyslogReceiver(transport, port);
  closers.push(() => r.close());
  return r;
}

function shipper(options: Partial<ConstructorParameters<typeof LogShipper>[0]> = {}): LogShipper {
  const s = new LogShipper({ logger: createLogger('test', { level: 'silent' }), pollMs: 20, sender: { backoffMs: { initial: 50, max: 200 } }, ...options });
  closers.push(() => s.close());
  return s;
}

function request(server: string, extra: Partial<ShipRequest> = {}): ShipRequest {
  const instanceId = `TI-${randomUUID()}`;
  return {
    instanceId, logFile: path.join(dir, 'output.log'), hostname: 'exec-1.example', resumed: false,
    logging: { type: 'RSYSLOG', server }, ...extra,
  };
}

const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${from + i}`).join('\n') + '\n';
const msgs = (r: SyslogReceiver) => r.messages.map((m) => m.msg);

describe('syslog addresses', () => {
  it('takes host:port (UDP), udp:// and tcp:// prefixes, a bare host (514) and bracketed IPv6', () => {
    expect(parseSyslogAddress('logs.example:5140')).toEqual({ transport: 'udp', host: 'logs.example', port: 5140, key: 'udp://logs.example:5140' });
    expect(parseSyslogAddress('tcp://10.0.0.1:601')).toMatchObject({ transport: 'tcp', host: '10.0.0.1', port: 601 });
    expect(parseSyslogAddress('udp://logs')).toMatchObject({ transport: 'udp', host: 'logs', port: 514 });
    expect(parseSyslogAddress('[::1]:514')).toMatchObject({ transport: 'udp', host: '::1', port: 514, key: 'udp://[::1]:514' });
    expect(parseSyslogAddress('http://x:1')).toHaveProperty('error');
    expect(parseSyslogAddress('x:70000')).toEqual({ error: 'logging.server "x:70000" has port 70000; use 1 to 65535' });
  });

  it('builds the tag from prefix, instance id and suffix in printable ASCII, whole even past RFC 5424\'s 48', () => {
    expect(syslogTag('TI-1', 'app-', '.out')).toBe('app-TI-1.out');
    expect(syslogTag('TI-1', 'a b')).toBe('a_bTI-1');
    expect(syslogTag(`AI-${'x'.repeat(60)}`)).toHaveLength(63);
  });
});

describe('shipping a followed file', () => {
  it('sends each line over UDP as an RFC 5424 message (user.info, the tag, the executor hostname)', async () => {
    const r = await receiver('udp');
    const s = shipper();
    const req = request(`127.0.0.1:${r.port}`, { logging: { type: 'RSYSLOG', server: `127.0.0.1:${r.port}`, tagPrefix: 'pre-', tagSuffix: '-suf' } });
    await writeFile(req.logFile, 'first\n\nsecond\r\n');
    await s.follow(req);
    await appendFile(req.logFile, 'third\nunterminated');
    await r.waitFor((m) => m.length >= 3);
    expect(msgs(r)).toEqual(['first', 'second', 'third']);
    await s.finish(req.instanceId);
    await r.waitFor((m) => m.length >= 4);
    expect(msgs(r)).toEqual(['first', 'second', 'third', 'unterminated']);
    expect(r.malformed).toEqual([]);
    for (const m of r.messages) {
      expect(m).toMatchObject({ facility: 1, severity: 6, version: 1, hostname: 'exec-1.example', appName: `pre-${req.instanceId}-suf`, procId: '-', msgId: '-' });
      expect(Math.abs(Date.parse(m.timestamp) - Date.now())).toBeLessThan(10_000);
    }
    expect(s.size).toBe(0);
  });

  it('frames messages by octet counting over TCP, multi-byte text included, and cuts very long lines', async () => {
    const r = await receiver('tcp');
    const s = shipper();
    const req = request(r.server);
    await writeFile(req.logFile, '');
    await s.follow(req);
    const long = 'é'.repeat(5_000); // 10 000 bytes: two messages, cut between characters
    await appendFile(req.logFile, `grüße 1\n${long}\nafter\n`);
    await r.waitFor((m) => m.some((x) => x.msg === 'after'));
    expect(msgs(r)[0]).toBe('grüße 1');
    expect(msgs(r).slice(1, -1).join('')).toBe(long);
    expect(msgs(r).length).toBe(4);
    expect(r.malformed).toEqual([]);
  });

  it('ships every line exactly once across copytruncate rotations, and keeps the rotated files', async () => {
    const r = await receiver('udp');
    const rotator = new LogRotator({ intervalMs: 3_600_000 });
    closers.push(async () => rotator.close());
    const s = shipper({ rotator });
    const req = request(r.server);
    await writeFile(req.logFile, '');
    rotator.register(req.instanceId, req.logFile, { maxBytes: 200, maxFiles: 10, compress: false });
    await s.follow(req);
    for (let batch = 0; batch < 6; batch++) {
      await appendFile(req.logFile, lines(batch * 30, batch * 30 + 30));
      await rotator.checkAll(); // over 200 bytes every time: copy, truncate through the follower
    }
    await appendFile(req.logFile, lines(180, 190));
    await s.finish(req.instanceId);
    await r.waitFor((m) => m.length >= 190);
    expect(msgs(r)).toEqual(lines(0, 190).trim().split('\n'));
    const rotated = (await readdir(dir)).filter((n) => n.startsWith('output.log-'));
    expect(rotated.length).toBeGreaterThanOrEqual(5);
    expect(await readFile(req.logFile, 'utf8')).toBe(lines(180, 190));
  });

  it('follows a real process writing while the rotator truncates under it: every kept line once, in order, to the last', async () => {
    const r = await receiver('tcp');
    const rotator = new LogRotator({ intervalMs: 5 });
    closers.push(async () => {
      rotator.close();
      await rotator.checkAll(); // the rotation in flight, if any
    });
    const s = shipper({ rotator, pollMs: 10 });
    const req = request(r.server);
    // The process driver's arrangement: the workload's stdout is output.log itself, O_APPEND.
    const out = await open(req.logFile, 'a');
    rotator.register(req.instanceId, req.logFile, { maxBytes: 1_000, maxFiles: 1_000, compress: false });
    await s.follow(req);
    const script = 'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); [ $((i % 20)) -eq 0 ] && sleep 0.002; done; echo done';
    const child = spawn('/bin/sh', ['-c', script], { stdio: ['ignore', out.fd, out.fd] });
    await new Promise((resolve) => child.once('exit', resolve));
    await out.close();
    await s.finish(req.instanceId);
    await r.waitFor((m) => m.some((x) => x.msg === 'done'));
    rotator.close();
    await rotator.checkAll();
    const shipped = msgs(r);
    const numbers = shipped.filter((m) => m !== 'done').map((m) => Number(m.split(' ')[1]));
    for (let i = 1; i < numbers.length; i++) expect(numbers[i]).toBeGreaterThan(numbers[i - 1]);
    // Copytruncate's known window (bytes written between the last read and the truncation) is
    // lost to the rotated file and to shipping alike; every line that is on disk was shipped.
    const rotated = (await readdir(dir)).filter((n) => n.startsWith('output.log-'));
    expect(rotated.length).toBeGreaterThan(5);
    const onDisk = (await Promise.all([...rotated, 'output.log'].map((n) => readFile(path.join(dir, n), 'utf8'))))
      .join('').split('\n').filter((line) => line !== '');
    const shippedSet = new Set(shipped);
    expect(onDisk.filter((line) => !shippedSet.has(line))).toEqual([]);
    expect(numbers.length).toBeGreaterThan(1_000);
  });

  it('keeps shipping when the file is truncated behind its back (starts again at 0)', async () => {
    const r = await receiver('udp');
    const s = shipper();
    const req = request(r.server);
    await writeFile(req.logFile, lines(0, 20));
    await s.follow(req);
    await r.waitFor((m) => m.length >= 20);
    await truncate(req.logFile, 0);
    await appendFile(req.logFile, 'after truncation\n');
    await r.waitFor((m) => m.some((x) => x.msg === 'after truncation'));
    expect(msgs(r).length).toBe(21);
  });

  it('resumes from its cursor after a shutdown: nothing doubled, nothing written meanwhile lost', async () => {
    const r = await receiver('udp');
    const first = shipper();
    const req = request(r.server);
    await writeFile(req.logFile, lines(0, 5));
    await first.follow(req);
    await r.waitFor((m) => m.length >= 5);
    await first.close();
    await appendFile(req.logFile, lines(5, 9)); // written while no executor followed
    const second = shipper();
    await second.follow({ ...req, resumed: true });
    await second.finish(req.instanceId);
    await r.waitFor((m) => m.length >= 9);
    expect(msgs(r)).toEqual(lines(0, 9).trim().split('\n'));
  });

  it('starts at the end of the file for a re-attached workload with no cursor (an older executor ran it)', async () => {
    const r = await receiver('udp');
    const s = shipper();
    const req = request(r.server);
    await writeFile(req.logFile, lines(0, 5));
    await s.follow({ ...req, resumed: true });
    await appendFile(req.logFile, 'new\n');
    await s.finish(req.instanceId);
    await r.waitFor((m) => m.length >= 1);
    expect(msgs(r)).toEqual(['new']);
  });

  it('shares one TCP connection among the workloads shipping to the same server', async () => {
    const r = await receiver('tcp');
    const s = shipper();
    const a = request(r.server, { logFile: path.join(dir, 'a.log') });
    const b = request(r.server, { logFile: path.join(dir, 'b.log') });
    await writeFile(a.logFile, 'from a\n');
    await writeFile(b.logFile, 'from b\n');
    await Promise.all([s.follow(a), s.follow(b)]);
    await r.waitFor((m) => m.length >= 2);
    expect(r.messages.map((m) => `${m.appName} ${m.msg}`).sort()).toEqual([`${a.instanceId} from a`, `${b.instanceId} from b`].sort());
    expect(r.connections).toBe(1);
  });
});

describe('servers that are down', () => {
  it('never throws; warns once; TCP reconnects with backoff once the server comes up', async () => {
    const logs = captureLogLines();
    const s = shipper({ logger: createLogger('test', { level: 'info', destination: logs.destination }) });
    const port = await freePort();
    const req = request(`tcp://127.0.0.1:${port}`);
    await writeFile(req.logFile, 'while down 1\n');
    await s.follow(req);
    await eventually(() => logs.lines.some((l) => String(l.msg).startsWith('syslog server unreachable')), { what: 'the warning' });
    await appendFile(req.logFile, 'while down 2\n');
    // Several reconnect attempts fail meanwhile: still one warning.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(logs.lines.filter((l) => String(l.msg).startsWith('syslog server unreachable'))).toHaveLength(1);
    const r = await receiver('tcp', port);
    await appendFile(req.logFile, 'after recovery\n');
    await r.waitFor((m) => m.some((x) => x.msg === 'after recovery'));
    await eventually(() => logs.lines.some((l) => l.msg === 'syslog server reachable again'), { what: 'the recovery note' });
  });

  it('drops the lines of an unresolvable host and finishes at once', async () => {
    const logs = captureLogLines();
    const s = shipper({ logger: createLogger('test', { level: 'info', destination: logs.destination }) });
    const req = request('udp://no-such-host.invalid:514');
    await writeFile(req.logFile, lines(0, 50));
    await s.follow(req);
    await eventually(() => logs.lines.some((l) => String(l.msg).startsWith('syslog server unreachable')), { what: 'the warning' });
    const started = Date.now();
    await s.finish(req.instanceId);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('refuses an address it cannot parse without starting anything', async () => {
    const s = shipper();
    const req = request('http://logs:514');
    await writeFile(req.logFile, 'x\n');
    expect(await s.follow(req)).toEqual({ error: expect.stringContaining('is not a syslog address') });
    expect(s.size).toBe(0);
  });
});
