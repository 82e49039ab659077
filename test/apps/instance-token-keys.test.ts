/**
 * Instance-token signing keys (docs/api.md §4.10) against a real SQLite store: each start adds
 * a key and signs with it, older keys keep verifying, and pruning drops only the keys no
 * running instance can hold a token from.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/common/logger.ts';
import { InstanceTokens } from '../../src/controller/http/instance-tokens.ts';
import { openStore } from '../../src/controller/store/open-store.ts';
import type { Store } from '../../src/controller/store/store.ts';

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

function tokensAt(time: { now: number }, s: Store): InstanceTokens {
  return new InstanceTokens({ store: s, clock: { now: () => time.now }, logger: createLogger('test') });
}

describe('InstanceTokens keys', () => {
  it('rotate per controller process (first mint), keep verifying older tokens, and prune what no running instance needs', async () => {
    store = await openStore('sqlite::memory:', { logger: createLogger('test') });
    const time = { now: 1_000_000 };
    const first = tokensAt(time, store);
    await first.start();
    expect(await store.listInstanceTokenKeys()).toEqual([]); // a controller that never mints (a standby) adds no key
    const claims = { appId: 'web-1', instanceId: 'AI-1', executorId: 'ex-1' };
    const [oldToken, again] = await Promise.all([first.mint(claims), first.mint(claims)]);
    expect(again).toBe(oldToken); // concurrent first mints share one key
    expect((await store.listInstanceTokenKeys()).length).toBe(1);

    time.now += 60_000; // a restart: a new process, a new key
    const second = tokensAt(time, store);
    await second.start();
    const newToken = await second.mint({ ...claims, instanceId: 'AI-2' });
    expect(await second.verify(oldToken)).toEqual(claims);
    expect(await second.verify(newToken)).toEqual({ ...claims, instanceId: 'AI-2' });
    // the first controller learns of the second one's key from the store (a new leader)
    expect(await first.verify(newToken)).toEqual({ ...claims, instanceId: 'AI-2' });

    // AI-1 (created at 1_000_000) still runs: both keys stay
    await second.prune(1_000_000);
    expect((await store.listInstanceTokenKeys()).length).toBe(2);
    // once the oldest running instance was started under the second key, the first one goes
    await second.prune(time.now);
    expect((await store.listInstanceTokenKeys()).length).toBe(1);
    expect(await second.verify(oldToken)).toBeUndefined();
    expect(await second.verify(newToken)).toBeDefined();
    // the signing key is never dropped
    await second.prune(time.now + 1_000_000);
    expect((await store.listInstanceTokenKeys()).length).toBe(1);
  });
});
