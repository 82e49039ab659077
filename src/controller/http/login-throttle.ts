/**
 * Failed logins are limited per client address (docs/security.md, "Authentication"): after
 * `failuresPerMinute` wrong credentials within a minute, every request from that address that
 * carries credentials is answered 429 without checking them, until the minute has passed.
 * Only failures count — a busy client with good credentials is never slowed — and requests with
 * no credentials at all (a browser's first try, a public route) do not count either.
 *
 * rate-limiter-flexible's in-memory limiter keeps the counters (one key per address, expiring by
 * itself), the pattern its authors document for brute-force protection of a login.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { TooManyRequestsError } from '../../common/errors.ts';

const WINDOW_SECONDS = 60;

export class LoginThrottle {
  private readonly limiter: RateLimiterMemory;
  private readonly points: number;

  constructor(failuresPerMinute: number) {
    this.points = failuresPerMinute;
    this.limiter = new RateLimiterMemory({ points: failuresPerMinute, duration: WINDOW_SECONDS });
  }

  /** Throws 429 when `address` has used up its failed attempts for now. */
  async check(address: string): Promise<void> {
    const state = await this.limiter.get(address);
    if (state && state.consumedPoints >= this.points) {
      const retryAfter = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
      throw new TooManyRequestsError(`Too many failed logins from ${address}: try again in ${retryAfter} s`, retryAfter);
    }
  }

  /** Counts one failed attempt of `address`. */
  async failed(address: string): Promise<void> {
    await this.limiter.consume(address).catch((result: unknown) => {
      // Over the limit already: the rejection is the limiter saying so, not a fault.
      if (!(result instanceof RateLimiterRes)) throw result;
    });
  }
}
