/**
 * Instance tokens (docs/api.md §4.10): the JWT each application instance gets as
 * `DROVE_APP_INSTANCE_AUTH_TOKEN` and sends back in `App-Instance-Authorization` to call the
 * instance-facing API. Drove's claims — `iss "drove"`, `sub "drove-controller"`,
 * `aud "drove-application-instance"`, `iat`, `jti` (a name-based UUID of
 * `{appId}:{instanceId}:{executorId}`), `droveAppId`, `droveInstanceId`, `droveExecutorId` — signed
 * HS256 with jose, no expiry (an instance may run for months).
 *
 * Keys rotate: every controller process (after a restart, or a new leader) adds a fresh random key
 * to the store when it mints its first token and signs every token it mints with it (its id is
 * the token's `kid`), while the older keys keep checking the tokens of instances that are still
 * running. Created at first mint, not at start, so a standby controller that never leads adds no
 * key: the keys' creation order is the order in which controllers started minting, which is what
 * `prune` relies on. A token is never logged: callers log claims.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, jwtVerify } from 'jose';
import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/logger.ts';
import type { InstanceTokenKey, Store } from '../store/store.ts';

export const INSTANCE_TOKEN_HEADER = 'app-instance-authorization';
const ISSUER = 'drove';
const SUBJECT = 'drove-controller';
const AUDIENCE = 'drove-application-instance';

/** Who an instance token speaks for. */
export interface InstanceClaims {
  appId: string;
  instanceId: string;
  executorId: string;
}

/** What the applications module needs: minting at each start, dropping keys nobody needs. */
export interface InstanceTokenIssuer {
  mint(claims: InstanceClaims): Promise<string>;
  prune(oldestRunningSince: number): Promise<void>;
}

/** Java's `UUID.nameUUIDFromBytes` (version 3, MD5), as Drove computes the token's `jti`. */
export function nameUuid(name: string): string {
  const bytes = createHash('md5').update(name, 'utf8').digest();
  bytes[6] = (bytes[6] & 0x0f) | 0x30;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const jtiOf = (claims: InstanceClaims) => nameUuid(`${claims.appId}:${claims.instanceId}:${claims.executorId}`);

export class InstanceTokens implements InstanceTokenIssuer {
  private keys = new Map<string, InstanceTokenKey>();
  private current: Promise<InstanceTokenKey> | undefined;
  private currentKid: string | undefined;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(deps: { store: Store; clock: Clock; logger: Logger }) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.logger = deps.logger.child({ component: 'instance-tokens' });
  }

  /** Loads the stored keys (to check tokens minted before this start). */
  async start(): Promise<void> {
    await this.reload();
  }

  /** This process's signing key, added to the store on first use (once, also under concurrent mints). */
  private signingKey(): Promise<InstanceTokenKey> {
    this.current ??= (async () => {
      const key: InstanceTokenKey = { kid: randomUUID(), secret: randomBytes(32).toString('base64url'), created: this.clock.now() };
      await this.store.addInstanceTokenKey(key);
      this.keys.set(key.kid, key);
      this.currentKid = key.kid;
      this.logger.info({ kid: key.kid, keys: this.keys.size }, 'instance tokens: new signing key');
      return key;
    })().catch((error: unknown) => {
      this.current = undefined; // a store outage: the next start tries again
      throw error;
    });
    return this.current;
  }

  private async reload(): Promise<void> {
    this.keys = new Map((await this.store.listInstanceTokenKeys()).map((k) => [k.kid, k]));
  }

  async mint(claims: InstanceClaims): Promise<string> {
    const key = await this.signingKey();
    return new SignJWT({ droveAppId: claims.appId, droveInstanceId: claims.instanceId, droveExecutorId: claims.executorId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.kid })
      .setIssuer(ISSUER).setSubject(SUBJECT).setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(this.clock.now() / 1000))
      .setJti(jtiOf(claims))
      .sign(Buffer.from(key.secret, 'base64url'));
  }

  /** The claims of a genuine token; undefined for a forged, expired, malformed or unknown-key one. */
  async verify(token: string): Promise<InstanceClaims | undefined> {
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      return undefined;
    }
    if (typeof kid !== 'string') return undefined;
    // A key another controller added (a newer leader) is read from the store on first sight.
    if (!this.keys.has(kid)) await this.reload();
    const key = this.keys.get(kid);
    if (!key) return undefined;
    try {
      const { payload } = await jwtVerify(token, Buffer.from(key.secret, 'base64url'), {
        algorithms: ['HS256'], issuer: ISSUER, subject: SUBJECT, audience: AUDIENCE, currentDate: new Date(this.clock.now()),
      });
      const { droveAppId, droveInstanceId, droveExecutorId, jti } = payload;
      if (typeof droveAppId !== 'string' || typeof droveInstanceId !== 'string' || typeof droveExecutorId !== 'string') return undefined;
      const claims = { appId: droveAppId, instanceId: droveInstanceId, executorId: droveExecutorId };
      return jti === jtiOf(claims) ? claims : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Drops the keys no running instance can need: every key whose successor was created before
   * `oldestRunningSince` (the creation time of the oldest non-terminal instance, or now). The
   * signing key always stays.
   */
  async prune(oldestRunningSince: number): Promise<void> {
    await this.reload();
    const ordered = [...this.keys.values()].sort((a, b) => a.created - b.created);
    const stale = ordered.filter((key, i) => key.kid !== this.currentKid && i + 1 < ordered.length && ordered[i + 1].created <= oldestRunningSince);
    if (stale.length === 0) return;
    await this.store.deleteInstanceTokenKeys(stale.map((k) => k.kid));
    for (const key of stale) this.keys.delete(key.kid);
    this.logger.info({ dropped: stale.length, kept: this.keys.size }, 'instance tokens: dropped keys no running instance needs');
  }
}
