/**
 * HTTP Basic authentication against the configured users, and the role groups of docs/api.md §1.5.
 * Passwords are either plain text (compared in constant time) or bcrypt hashes; a successful
 * bcrypt check is remembered (keyed by an HMAC of the credentials, never the password itself) so
 * a busy client does not pay ~50 ms of bcrypt per request.
 *
 * What a failed attempt costs does not depend on whether the username exists (docs/security.md,
 * "Authentication"): when any user has a bcrypt hash, an unknown user or a wrong plain-text
 * password is checked against a dummy hash of the same cost. bcrypt runs on libuv's thread pool
 * (the native `bcrypt` package), so a burst of bad passwords does not stall the event loop.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcrypt';
import type { UserConfig } from '../config.ts';
import type { Principal, Role } from '../../api/auth-types.ts';
import type { RoleGroup } from './route-config.ts';

const BCRYPT_PREFIX = /^\$2[aby]\$(\d{2})\$/;
const VERIFIED_CACHE_LIMIT = 1024;

/**
 * The challenge a 401 of a browser-facing page carries (the dashboard's pages, docs/dashboard.md),
 * so a browser opening it asks for the login. API routes answer 401 without it: API clients send
 * credentials up front, and a page's own calls should not pop a prompt.
 */
export const BASIC_CHALLENGE = 'Basic realm="corral"';

/** The principal every request acts as when authentication is disabled. */
export const ROOT_PRINCIPAL: Principal = { username: 'root', role: 'DROVE_EXTERNAL_ROOT' };

/** Whether a password value from the configuration is a bcrypt hash. */
export function isBcryptHash(password: string): boolean {
  return BCRYPT_PREFIX.test(password);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Parses `Authorization: Basic base64(user:password)`; undefined when absent or not Basic. */
export function parseBasicAuth(header: string | undefined): { username: string; password: string } | undefined {
  if (!header) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Checks credentials against the configured users. */
export class Authenticator {
  private readonly users: Map<string, UserConfig>;
  private readonly cacheKey = randomBytes(32);
  private readonly verified = new Set<string>();
  /** Cost of the most expensive configured hash; undefined when every password is plain text. */
  private readonly hashCost: number | undefined;
  private dummyHash: Promise<string> | undefined;

  constructor(users: UserConfig[]) {
    this.users = new Map(users.map((u) => [u.username, u]));
    const costs = users.map((u) => BCRYPT_PREFIX.exec(u.password)?.[1]).filter((c) => c !== undefined).map(Number);
    this.hashCost = costs.length > 0 ? Math.max(...costs) : undefined;
  }

  /** The principal for an `Authorization` header, or undefined when it does not authenticate. */
  async authenticate(header: string | undefined): Promise<Principal | undefined> {
    const credentials = parseBasicAuth(header);
    if (!credentials) return undefined;
    const user = this.users.get(credentials.username);
    if (user && isBcryptHash(user.password)) {
      return (await this.checkHash(user, credentials.password)) ? { username: user.username, role: user.role } : undefined;
    }
    // Unknown user or plain-text password: compared in constant time, same work either way.
    const ok = timingSafeEqual(sha256(credentials.password), sha256(user?.password ?? credentials.username)) && user !== undefined;
    if (ok) return { username: user.username, role: user.role };
    await this.spendLikeAHashCheck(credentials.password);
    return undefined;
  }

  /** A failed attempt costs one bcrypt check at the configured cost, whoever it named. */
  private async spendLikeAHashCheck(password: string): Promise<void> {
    if (this.hashCost === undefined) return;
    this.dummyHash ??= bcrypt.hash(randomBytes(16).toString('hex'), this.hashCost);
    await bcrypt.compare(password, await this.dummyHash);
  }

  private async checkHash(user: UserConfig, password: string): Promise<boolean> {
    const key = createHmac('sha256', this.cacheKey).update(`${user.username}\0${user.password}\0${password}`).digest('base64');
    if (this.verified.has(key)) return true;
    const ok = await bcrypt.compare(password, user.password);
    if (ok) {
      if (this.verified.size >= VERIFIED_CACHE_LIMIT) this.verified.clear();
      this.verified.add(key);
    }
    return ok;
  }
}

const GROUP_ROLES: Record<Exclude<RoleGroup, 'ANY'>, ReadonlySet<Role>> = {
  RW: new Set<Role>(['DROVE_EXTERNAL_READ_WRITE', 'DROVE_EXTERNAL_ROOT']),
  MAINT: new Set<Role>(['DROVE_EXTERNAL_MAINTENANCE', 'DROVE_EXTERNAL_ROOT']),
  LOGS: new Set<Role>(['DROVE_EXTERNAL_ROOT', 'DROVE_EXTERNAL_READ_WRITE', 'DROVE_EXTERNAL_READ_ONLY']),
  INSTANCE: new Set<Role>(['DROVE_APPLICATION_INSTANCE']),
};

/** Whether `role` passes `group` (exact matches, no hierarchy; docs/api.md §1.5). */
export function roleAllows(group: RoleGroup, role: Role, disableReadAuth: boolean): boolean {
  // An instance token opens the instance-facing API only, never the users' routes.
  if (role === 'DROVE_APPLICATION_INSTANCE') return group === 'INSTANCE';
  if (group === 'ANY') return true;
  if (group === 'LOGS' && disableReadAuth) return true;
  return GROUP_ROLES[group].has(role);
}
