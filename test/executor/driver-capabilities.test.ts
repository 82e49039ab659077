/**
 * Drivers declare their optional abilities as data (`Driver.capabilities`); the runner, the
 * hooks and the agent read only that declaration. These tests hold every real driver to its
 * declaration: an optional operation exists exactly when it is declared, and the table in
 * src/executor/README.md says what each driver declares. The docker driver is only
 * constructed (no engine is contacted).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/common/logger.ts';
import { createDockerDriver } from '../../src/executor/drivers/docker/docker-driver.ts';
import type { Driver, OptionalDriverOperation } from '../../src/executor/drivers/driver.ts';
import { NO_CAPABILITIES, offers } from '../../src/executor/drivers/driver.ts';
import { MockDriver } from '../../src/executor/drivers/mock/mock-driver.ts';
import { ProcessDriver } from '../../src/executor/drivers/process/process-driver.ts';

const processDriver = new ProcessDriver();
const drivers: Record<string, Driver> = {
  process: processDriver,
  docker: createDockerDriver({ dockerHost: 'unix:///nonexistent/docker.sock', logger: silentLogger }),
  mock: new MockDriver({ writeLogs: false }),
};
const OPTIONAL: OptionalDriverOperation[] = ['adopt', 'cleanUp', 'reapOrphans', 'stats'];

afterAll(async () => {
  for (const driver of Object.values(drivers)) await driver.close();
});

describe('driver capabilities', () => {
  it.each(Object.keys(drivers))('%s: implements an optional operation exactly when it declares it', (name) => {
    const driver = drivers[name];
    for (const operation of OPTIONAL) {
      const implemented = typeof (driver as unknown as Record<string, unknown>)[operation] === 'function';
      expect({ operation, implemented }).toEqual({ operation, implemented: driver.capabilities[operation] });
      expect(offers(driver, operation)).toBe(driver.capabilities[operation]);
    }
  });

  it('declares what src/executor/README.md says each driver declares', () => {
    const table = Object.fromEntries(Object.entries(drivers).map(([name, d]) => [name, d.capabilities]));
    expect(table).toEqual({
      process: { simulated: false, durableExit: true, createsDirectories: true, adopt: true, cleanUp: true, reapOrphans: true, stats: true, enforces: { cores: false, memory: false } },
      docker: { simulated: false, durableExit: false, createsDirectories: false, adopt: false, cleanUp: false, reapOrphans: true, stats: true, enforces: { cores: true, memory: true } },
      mock: { simulated: true, durableExit: true, createsDirectories: false, adopt: false, cleanUp: false, reapOrphans: false, stats: false, enforces: { cores: false, memory: false } },
    });
  });

  it('cannot be changed after construction (one declaration, read everywhere)', () => {
    for (const driver of [...Object.values(drivers), { capabilities: NO_CAPABILITIES }]) {
      expect(Object.isFrozen(driver.capabilities)).toBe(true);
      expect(Object.isFrozen(driver.capabilities.enforces)).toBe(true);
    }
  });
});
