/**
 * The CLI's HTTP client for the controller API (docs/api.md §1): finds the leader by ping, sends
 * authenticated requests, unwraps the Drove envelope and turns every failure into a CliError
 * with one readable line and the exit code of its class. node:http/https rather than fetch
 * because `--insecure` needs per-request TLS options and fetch cannot take them without undici.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { ConnectionSettings } from './cluster-config.ts';
import { CliError, EXIT } from './exit-codes.ts';

const API = '/apis/v1';
const NOT_LEADER_MESSAGE = 'This node is not the leader controller';
/** 200 FAILED messages of single-object lookups (docs/api.md §9.7) that mean "no such thing". */
const NOT_FOUND_PATTERN = /not found|no such|no \w+ found|does not exist|could not delete/i;

export type QueryValue = string | number | boolean | undefined | ReadonlyArray<string | number>;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** JSON body; absent means no body and no Content-Type (docs/api.md §1.2 body-less POSTs). */
  body?: unknown;
  signal?: AbortSignal;
  /** Per-request timeout in ms (default 30 s); 0 disables it (streams). */
  timeoutMs?: number;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface Envelope {
  status?: string;
  message?: string;
  data?: unknown;
}

/** Writes `-d/--debug` trace lines; stderr so `--json` output stays clean. */
export type DebugSink = (line: string) => void;

export class HttpClient {
  private readonly settings: ConnectionSettings;
  private readonly debugSink: DebugSink | undefined;
  private leader: string | undefined;

  constructor(settings: ConnectionSettings, debugSink?: DebugSink) {
    this.settings = settings;
    this.debugSink = settings.debug ? (debugSink ?? ((line) => process.stderr.write(`${line}\n`))) : undefined;
  }

  /**
   * Pings every endpoint (GET /apis/v1/ping answers 200 only on the leader, docs/api.md §1.6) and
   * remembers the first leader in the order given. Failing that, the error says why each one
   * was not usable, classified as unauthorised / not leader / unreachable.
   */
  async findLeader(signal?: AbortSignal): Promise<string> {
    if (this.leader) return this.leader;
    const outcomes = await Promise.all(this.settings.endpoints.map((endpoint) => this.ping(endpoint, signal)));
    const leader = outcomes.find((o) => o.kind === 'leader');
    if (leader) {
      this.leader = leader.endpoint;
      return leader.endpoint;
    }
    const list = (kind?: PingOutcome['kind']) => outcomes.filter((o) => !kind || o.kind === kind).map((o) => `${o.endpoint} (${o.detail})`).join(', ');
    const any = (kind: PingOutcome['kind']) => outcomes.some((o) => o.kind === kind);
    if (any('unauthorized')) {
      const where = this.settings.source.startsWith('cluster') ? `, or fix ${this.settings.source}` : '';
      throw new CliError(EXIT.UNAUTHORIZED, `${list('unauthorized')} refused the credentials; pass the right ones with -u/-p (or -t) before the command, or set CORRAL_USERNAME/CORRAL_PASSWORD${where}`);
    }
    if (any('forbidden')) {
      throw new CliError(EXIT.FORBIDDEN, `${list('forbidden')} does not let this user in; use an account with a client role`);
    }
    if (any('follower')) {
      const hint = outcomes.map((o) => o.leaderHint).find(Boolean);
      throw new CliError(
        EXIT.NOT_LEADER,
        `no leader among ${list()}; ${hint ? `the leader is ${hint}: use -e ${hint}` : 'pass the leader\'s address, or every controller (-e http://c1:4000,http://c2:4000) so the CLI can find it'}`,
      );
    }
    if (outcomes.every((o) => o.kind === 'unreachable')) {
      throw new CliError(EXIT.UNREACHABLE, `cannot reach ${list()}; is the controller running, and is the address (${this.settings.source}) right?`);
    }
    throw new CliError(EXIT.FAILED, `no corral/Drove controller answered the ping: ${list()}`);
  }

  /** Forgets the leader found so far (after a dropped stream, leadership may have moved). */
  resetLeader(): void {
    this.leader = undefined;
  }

  /**
   * Calls an API path on the leader and returns `data` of a SUCCESS envelope. `path` is relative
   * to /apis/v1. A SUCCESS envelope without `data` yields `undefined`.
   */
  async api<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.call(method, path, options);
    return unwrapEnvelope<T>(method, path, response);
  }

  /** A request on the leader returning the raw answer (log endpoints do not use the envelope). */
  async call(method: string, path: string, options: RequestOptions = {}): Promise<RawResponse> {
    const leader = await this.findLeader(options.signal);
    const message = await this.send(leader, method, `${API}${path}`, options);
    const body = await readBody(message, this.describe(method, path));
    return { status: message.statusCode ?? 0, headers: message.headers, body };
  }

  /** Opens a streaming GET on the leader (server-sent events, downloads); the caller reads it. */
  async stream(path: string, options: RequestOptions = {}): Promise<IncomingMessage> {
    const leader = await this.findLeader(options.signal);
    return this.send(leader, 'GET', `${API}${path}`, { ...options, timeoutMs: options.timeoutMs ?? 0 });
  }

  private async ping(endpoint: string, signal?: AbortSignal): Promise<PingOutcome> {
    try {
      const message = await this.send(endpoint, 'GET', `${API}/ping`, { signal, timeoutMs: 10_000 });
      const body = await readBody(message, `GET ${endpoint}${API}/ping`);
      const status = message.statusCode ?? 0;
      const envelope = parseJson(body) as Envelope | undefined;
      if (status === 200 && envelope?.status === 'SUCCESS') return { endpoint, kind: 'leader', detail: 'leader' };
      if (status === 401) return { endpoint, kind: 'unauthorized', detail: 'HTTP 401' };
      if (status === 403) return { endpoint, kind: 'forbidden', detail: 'HTTP 403' };
      if (status === 400 && envelope?.message === NOT_LEADER_MESSAGE) {
        const header = message.headers['x-corral-leader'];
        return { endpoint, kind: 'follower', detail: 'not the leader', leaderHint: typeof header === 'string' && header ? header : undefined };
      }
      return { endpoint, kind: 'other', detail: `HTTP ${status}${envelope?.message ? ` ${envelope.message}` : ''}` };
    } catch (error) {
      if (error instanceof CliError && error.exitCode === EXIT.UNREACHABLE) return { endpoint, kind: 'unreachable', detail: error.message.replace(/^cannot reach [^:]+:\/\/[^:]+(:\d+)?: /, '') };
      throw error;
    }
  }

  private send(base: string, method: string, path: string, options: RequestOptions): Promise<IncomingMessage> {
    const url = new URL(base + path + queryString(options.query));
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body), 'utf8');
    const headers: Record<string, string> = { Accept: 'application/json, */*' };
    if (payload) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    if (this.settings.authHeader) headers.Authorization = this.settings.authHeader;
    else if (this.settings.username !== undefined) {
      headers.Authorization = `Basic ${Buffer.from(`${this.settings.username}:${this.settings.password ?? ''}`).toString('base64')}`;
    }
    const started = performance.now();
    this.debugSink?.(`> ${method} ${url.href}${payload ? ` ${payload.toString('utf8')}` : ''}`);
    const transport = url.protocol === 'https:' ? https : http;
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const request = transport.request(
        url,
        { method, headers, signal: options.signal, rejectUnauthorized: !this.settings.insecure },
        (response) => {
          this.debugSink?.(`< ${response.statusCode} ${method} ${url.pathname} (${Math.round(performance.now() - started)} ms)`);
          if (timeoutMs === 0) request.setTimeout(0);
          resolve(response);
        },
      );
      if (timeoutMs > 0) {
        request.setTimeout(timeoutMs, () => request.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })));
      }
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (error.name === 'AbortError') reject(error);
        else reject(new CliError(EXIT.UNREACHABLE, `cannot reach ${url.origin}: ${networkReason(error)}`));
      });
      request.end(payload);
    });
  }

  private describe(method: string, path: string): string {
    return `${method} ${API}${path}`;
  }
}

interface PingOutcome {
  endpoint: string;
  kind: 'leader' | 'follower' | 'unauthorized' | 'forbidden' | 'unreachable' | 'other';
  detail: string;
  leaderHint?: string;
}

/** Maps an HTTP answer to `data` or the CliError of its class (docs/api.md §1.4 table). */
export function unwrapEnvelope<T>(method: string, path: string, response: RawResponse): T {
  const what = `${method} ${API}${path}`;
  const envelope = parseJson(response.body) as Envelope | undefined;
  const message = typeof envelope?.message === 'string' ? envelope.message : undefined;
  const status = response.status;
  if (status === 401) throw new CliError(EXIT.UNAUTHORIZED, 'the controller refused the credentials (HTTP 401); check -u/-p or -t (before the command)');
  if (status === 403) throw new CliError(EXIT.FORBIDDEN, `your role is not allowed to do this (HTTP 403 on ${what}); use an account with the needed role`);
  if (status === 404) throw new CliError(EXIT.FAILED, `the controller does not serve ${what} (HTTP 404); it may be an older corral or a Drove controller`);
  if (status === 405) throw new CliError(EXIT.FAILED, `the controller does not accept ${what} (HTTP 405)`);
  if (!envelope || typeof envelope !== 'object' || (envelope.status !== 'SUCCESS' && envelope.status !== 'FAILED')) {
    const snippet = response.body.toString('utf8').slice(0, 200).trim();
    throw new CliError(EXIT.FAILED, `unexpected answer to ${what}: HTTP ${status}${snippet ? ` ${snippet}` : ' with an empty body'}`);
  }
  if (envelope.status === 'SUCCESS' && status >= 200 && status < 300) return envelope.data as T;
  if (message === NOT_LEADER_MESSAGE) {
    throw new CliError(EXIT.NOT_LEADER, 'the controller stopped being the leader during the request; run the command again (list every controller with -e a,b to follow leadership)');
  }
  const data = (envelope.data ?? {}) as { validationErrors?: unknown; failure?: unknown };
  const details = Array.isArray(data.validationErrors) ? data.validationErrors.map(String) : [];
  if (typeof data.failure === 'string') details.push(data.failure);
  if (status >= 500) throw new CliError(EXIT.FAILED, `controller error (HTTP ${status}): ${message ?? 'no message'}`, details);
  if (status === 200 && message && NOT_FOUND_PATTERN.test(message)) throw new CliError(EXIT.NOT_FOUND, message, details);
  throw new CliError(EXIT.FAILED, message ?? `request failed (HTTP ${status})`, details);
}

export function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, String(v));
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Percent-encodes one path segment (ids may carry characters a URL path cannot). */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function readBody(message: IncomingMessage, what: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    message.on('data', (chunk: Buffer) => chunks.push(chunk));
    message.on('end', () => resolve(Buffer.concat(chunks)));
    message.on('error', (error) => reject(new CliError(EXIT.UNREACHABLE, `connection dropped while reading ${what}: ${error.message}`)));
  });
}

function networkReason(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'ENOTFOUND': case 'EAI_AGAIN': return 'host name not found';
    case 'ETIMEDOUT': return error.message.startsWith('no answer') ? error.message : 'connection timed out';
    case 'ECONNRESET': return 'connection reset by the server';
    case 'EHOSTUNREACH': case 'ENETUNREACH': return 'host unreachable';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT': case 'SELF_SIGNED_CERT_IN_CHAIN': case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE': case 'CERT_HAS_EXPIRED': case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `TLS certificate not trusted (${error.code}); pass -i/--insecure to skip the check`;
    default: return error.message || String(error.code);
  }
}
