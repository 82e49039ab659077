/**
 * HTTP Basic authentication against the configured users, and the role groups of API.md §1.5.
 * Passwords are either plain text (compared in constant time) or bcrypt hashes; a successful
 * bcrypt check is remembered (keyed by an HMAC of the credentials, never the password itself) so
 * a busy client does not pay ~50 ms of bcrypt per request.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { UserConfig } from '../config.ts';
import type { Principal, Role, RoleGroup } from '../context.ts';

const BCRYPT_PREFIX = /^\$2[aby]\$\d{2}\$/;
const VERIFIED_CACHE_LIMIT = 1024;

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

  constructor(users: UserConfig[]) {
    this.users = new Map(users.map((u) => [u.username, u]));
  }

  /** The principal for an `Authorization` header, or undefined when it does not authenticate. */
  async authenticate(header: string | undefined): Promise<Principal | undefined> {
    const credentials = parseBasicAuth(header);
    if (!credentials) return undefined;
    const user = this.users.get(credentials.username);
    if (!user) {
      // Same work as a wrong password, so response time does not reveal which usernames exist.
      timingSafeEqual(sha256(credentials.password), sha256(credentials.username));
      return undefined;
    }
    const ok = isBcryptHash(user.password)
      ? await this.checkHash(user, credentials.password)
      : timingSafeEqual(sha256(credentials.password), sha256(user.password));
    return ok ? { username: user.username, role: user.role } : undefined;
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
};

/** Whether `role` passes `group` (exact matches, no hierarchy; API.md §1.5). */
export function roleAllows(group: RoleGroup, role: Role, disableReadAuth: boolean): boolean {
  if (group === 'ANY') return true;
  if (group === 'LOGS' && disableReadAuth) return true;
  return GROUP_ROLES[group].has(role);
}
