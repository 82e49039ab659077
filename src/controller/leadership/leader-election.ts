/**
 * Leader election over the store's lease (docs/ha.md). One per controller process on PostgreSQL.
 *
 *   follower ──poll every lease/6: tryAcquire──▶ acquired ──▶ leader (epoch e) ──▶ `acquired(e)`
 *      ▲                                                          │ renew every lease/3
 *      │                                                          │
 *      └── `lost(reason)` ◀── renew answered "not yours" ─────────┤
 *                         ◀── no successful renew before the local deadline (step-down timer)
 *
 * Only the database's clock judges expiry. Locally only durations of the monotonic clock are
 * used: a renew sent at local time t extends the lease to (database now ≥ t) + lease, so this
 * controller is sure of it until t + lease, and stops acting at t + lease − margin. `isLeader()`
 * compares with that deadline every time it is asked, so a controller that was paused (SIGSTOP,
 * a long GC, a frozen VM) answers false the moment it runs again, before any of its timers fire.
 */
import { performance } from 'node:perf_hooks';
import type { ControllerNode } from '../../api/cluster-types.ts';
import { errorMessage } from '../../common/error-message.ts';
import type { Logger } from '../../common/logger.ts';
import type { Leadership } from '../http/leadership.ts';
import type { LeaseState, LeaseStore } from '../store/store.ts';

export interface ElectionListener {
  /** This controller holds the lease with `epoch`; `previous` is who held it before (maybe no one). */
  acquired(epoch: number, previous: LeaseState): void;
  /** It no longer does (or may not any more): stop acting at once. */
  lost(reason: string): void;
}

export interface LeaderElectionOptions {
  lease: LeaseStore;
  nodeId: string;
  /** This controller's advertised base URL. */
  url: string;
  /** Lease length (ms). */
  leaseMs: number;
  /** sha-256 (hex) of the cluster secret: every controller of a store must have the same one. */
  secretDigest: string;
  logger: Logger;
  listener: ElectionListener;
  /** Monotonic milliseconds (tests may pass their own). */
  now?: () => number;
}

/** A clock further than this from the database's is worth a warning (record times use it). */
const CLOCK_SKEW_WARNING_MS = 2_000;

/** The part of the lease a leader gives up before it can expire: timer lag and clock-rate drift. */
export function stepDownMargin(leaseMs: number): number {
  return Math.max(200, Math.round(leaseMs / 5));
}

export class LeaderElection implements Leadership {
  private readonly opts: LeaderElectionOptions;
  private readonly now: () => number;
  private leading = false;
  private epoch = 0;
  private validUntil = 0;
  private known: LeaseState | undefined;
  private loopTimer: NodeJS.Timeout | undefined;
  private stepDownTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failing = false;

  constructor(options: LeaderElectionOptions) {
    this.opts = options;
    this.now = options.now ?? (() => performance.now());
  }

  isLeader(): boolean {
    return this.leading && this.now() < this.validUntil;
  }

  /** The epoch of the lease this controller holds (0 when it holds none). */
  currentEpoch(): number {
    return this.isLeader() ? this.epoch : 0;
  }

  leaderUrl(): string | undefined {
    if (this.isLeader()) return this.opts.url;
    const known = this.known;
    return known && known.holder !== '' && known.holder !== this.opts.nodeId ? known.holderUrl : undefined;
  }

  async members(): Promise<ControllerNode[]> {
    const [members, lease] = await Promise.all([this.opts.lease.members(this.opts.leaseMs * 2), this.opts.lease.read()]);
    const leader = lease.remainingMs > 0 ? lease.holder : '';
    return members.map((m) => ({ url: m.url, role: m.nodeId === leader ? 'LEADER' : 'FOLLOWER', alive: m.alive }));
  }

  /**
   * Checks that it may join (same cluster secret as the running controllers), warns of a clock
   * far from the database's, then makes the first attempt (so the caller knows its first role)
   * and keeps going. Throws, having joined nothing, when it may not join.
   */
  async start(): Promise<void> {
    const { lease, leaseMs, logger, secretDigest } = this.opts;
    const other = await lease.otherSecret(secretDigest, leaseMs * 2);
    if (other !== undefined) {
      throw new Error(`this controller's cluster secret differs from the one the running controllers of this store use (${other}); give every controller the same secret (docs/ha.md)`);
    }
    const before = Date.now();
    const dbNow = await lease.dbNow();
    const skew = dbNow - (before + Date.now()) / 2;
    if (Math.abs(skew) > CLOCK_SKEW_WARNING_MS) {
      logger.warn({ skewMs: Math.round(skew) }, 'this host\'s clock is far from the database\'s: leadership does not depend on it, but record times written by this controller will be off (keep hosts in NTP)');
    }
    await this.tick();
  }

  /** Stops the loop; a leader releases the lease so a successor need not wait for it to expire. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.loopTimer);
    clearTimeout(this.stepDownTimer);
    const wasLeading = this.leading;
    this.leading = false;
    if (wasLeading) await this.opts.lease.release(this.opts.nodeId, this.epoch).catch((error: unknown) => this.opts.logger.warn({ err: errorMessage(error) }, 'could not release the leader lease; it expires by itself'));
    await this.opts.lease.leave(this.opts.nodeId).catch(() => undefined);
  }

  /** Gives the lease up without telling the listener (the caller is already changing term). */
  async resign(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    clearTimeout(this.stepDownTimer);
    await this.opts.lease.release(this.opts.nodeId, this.epoch).catch(() => undefined);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const { lease, nodeId, url, leaseMs, logger } = this.opts;
    const sentAt = this.now();
    try {
      if (this.leading) {
        const renewed = await lease.renew(nodeId, this.epoch, leaseMs);
        if (this.stopped || !this.leading) return;
        if (renewed) this.extend(sentAt);
        else this.stepDown('the lease was taken over or expired before it could be renewed');
      } else {
        const outcome = await lease.tryAcquire(nodeId, url, leaseMs);
        if (this.stopped) {
          if (outcome.acquired) await lease.release(nodeId, outcome.epoch).catch(() => undefined);
          return;
        }
        if (outcome.acquired) {
          this.leading = true;
          this.epoch = outcome.epoch;
          this.known = { holder: nodeId, holderUrl: url, epoch: outcome.epoch, remainingMs: leaseMs };
          this.extend(sentAt);
          logger.info({ epoch: outcome.epoch, previous: outcome.previous.holderUrl || undefined }, 'leadership acquired');
          this.opts.listener.acquired(outcome.epoch, outcome.previous);
        } else {
          this.known = outcome.current;
        }
      }
      await lease.heartbeat(nodeId, url, this.opts.secretDigest);
      if (this.failing) logger.warn('the leader lease is reachable again');
      this.failing = false;
    } catch (error) {
      // The step-down timer, not this error, decides when a leader stops: one failed renew
      // among several per lease is not a reason to give up leadership.
      if (!this.failing) logger.warn({ err: errorMessage(error), leading: this.leading }, 'leader lease query failed');
      this.failing = true;
    } finally {
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    const period = this.leading ? this.opts.leaseMs / 3 : this.opts.leaseMs / 6;
    this.loopTimer = setTimeout(() => void this.tick().catch(() => undefined), Math.max(50, Math.round(period)));
  }

  private extend(sentAt: number): void {
    this.validUntil = sentAt + this.opts.leaseMs - stepDownMargin(this.opts.leaseMs);
    clearTimeout(this.stepDownTimer);
    this.stepDownTimer = setTimeout(() => {
      if (this.leading && this.now() >= this.validUntil) this.stepDown('the lease could not be renewed in time');
    }, Math.max(0, this.validUntil - this.now()) + 1);
  }

  private stepDown(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    clearTimeout(this.stepDownTimer);
    this.opts.logger.warn({ epoch: this.epoch, reason }, 'leadership lost: stepping down to follower');
    this.opts.listener.lost(reason);
  }
}
