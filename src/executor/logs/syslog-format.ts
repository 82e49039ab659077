/**
 * The wire side of RSYSLOG logging (docs/api.md §6.11): where to send (`server` → transport, host,
 * port) and what to send (RFC 5424 messages, octet-counting frames for TCP per RFC 6587).
 *
 * `server` takes Docker's `syslog-address` forms — Drove hands its value to Docker's syslog log
 * driver — plus the bare `host:port` that rsyslog set-ups commonly use:
 *   `host:port`, `host` (port 514)           → UDP, rsyslog's usual `imudp` listener
 *   `udp://host:port`, `tcp://host:port`     → as written
 *   `[::1]:514`, `tcp://[2001:db8::1]:601`   → IPv6 literals in brackets
 */

export type SyslogTransport = 'udp' | 'tcp';

export interface SyslogAddress {
  transport: SyslogTransport;
  host: string;
  port: number;
  /** `transport://host:port`, the key senders are shared by. */
  key: string;
}

const DEFAULT_PORT = 514;
const ADDRESS = /^(?:(udp|tcp):\/\/)?(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+)(?::(\d{1,5}))?\/?$/;

/** Parses `server`; returns an error message instead of throwing (a bad spec must not crash anything). */
export function parseSyslogAddress(server: string): SyslogAddress | { error: string } {
  const match = ADDRESS.exec(server.trim());
  if (!match) {
    return { error: `logging.server "${server}" is not a syslog address (use host:port, udp://host:port or tcp://host:port)` };
  }
  const transport = (match[1] ?? 'udp') as SyslogTransport;
  const host = match[2].startsWith('[') ? match[2].slice(1, -1) : match[2];
  const port = match[3] === undefined ? DEFAULT_PORT : Number(match[3]);
  if (port < 1 || port > 65_535) return { error: `logging.server "${server}" has port ${port}; use 1 to 65535` };
  const shown = host.includes(':') ? `[${host}]` : host;
  return { transport, host, port, key: `${transport}://${shown}:${port}` };
}

/** Facility `user` (1), RFC 5424 §6.2.1. */
export const FACILITY_USER = 1;
/** Severities used for workload output. */
export const SEVERITY = { error: 3, warning: 4, info: 6 } as const;

/**
 * RFC 5424 caps HOSTNAME at 255 and APP-NAME at 48 printable US-ASCII characters. The tag is
 * sent whole up to 255 all the same: an instance id alone is 39 characters, so most tags with a
 * prefix or suffix pass 48, and a tag cut short would no longer name its instance or match the
 * receiver's filters. Docker's syslog driver (which Drove hands the tag to) does not cut it either.
 */
const HOSTNAME_MAX = 255;
const APP_NAME_MAX = 255;

/** Printable US-ASCII without spaces (RFC 5424 PRINTUSASCII); anything else becomes `_`. */
function printable(text: string, max: number): string {
  const cleaned = text.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return cleaned === '' ? '-' : cleaned;
}

/** The syslog tag (APP-NAME) of a workload: Drove's tagPrefix + instance id + tagSuffix, spaces and controls as `_`. */
export function syslogTag(instanceId: string, tagPrefix = '', tagSuffix = ''): string {
  return printable(`${tagPrefix}${instanceId}${tagSuffix}`, APP_NAME_MAX);
}

export interface SyslogHeader {
  hostname: string;
  appName: string;
  facility?: number;
}

/**
 * The fixed part of every message of one workload, built once: everything after the timestamp.
 * PROCID, MSGID and STRUCTURED-DATA are nil: the workload's pid means nothing to a receiver (a
 * container's is in another namespace) and there is no structured data to give.
 */
export function headerTail(header: SyslogHeader): string {
  return ` ${printable(header.hostname, HOSTNAME_MAX)} ${printable(header.appName, APP_NAME_MAX)} - - - `;
}

/**
 * One RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME - - - MSG`. MSG is sent as UTF-8
 * without the optional BOM (MSG-ANY): many receivers print the BOM as garbage.
 */
export function formatSyslogMessage(tail: string, severity: number, epochMs: number, message: string, facility = FACILITY_USER): string {
  return `<${facility * 8 + severity}>1 ${new Date(epochMs).toISOString()}${tail}${message}`;
}

/** RFC 6587 §3.4.1 octet counting: `MSG-LEN SP SYSLOG-MSG`, the length in bytes. */
export function octetFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
