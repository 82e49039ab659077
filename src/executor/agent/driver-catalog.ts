/**
 * Which driver runs which executable type on this executor, and which types `hello` advertises:
 * PROCESS always (process driver); DOCKER when the docker driver is present in the source tree
 * and its engine answers. With `--driver mock` the mock driver runs every type.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ExecutableType } from '../../api/spec-types.ts';
import type { Logger } from '../../common/logger.ts';
import type { Driver, DriverHandle, ExecResult, ExitResult } from '../drivers/driver.ts';
import { MockDriver } from '../drivers/mock/mock-driver.ts';
import { ProcessDriver } from '../drivers/process/process-driver.ts';
import type { ExecutorConfig } from './executor-options.ts';

export interface DriverCatalog {
  /** The driver for a type; an "unavailable" driver that fails readably when there is none. */
  forType(type: ExecutableType): Driver;
  /** Types advertised in `hello.drivers`. */
  readonly advertised: ExecutableType[];
  /** Every distinct real driver (for reaping and closing). */
  readonly drivers: Driver[];
  close(): Promise<void>;
}

/** Stands in for a driver this executor does not have: every use fails with the reason. */
class UnavailableDriver implements Driver {
  readonly type: ExecutableType;
  private readonly reason: string;
  constructor(type: ExecutableType, reason: string) {
    this.type = type;
    this.reason = reason;
  }
  private fail(): never {
    throw new Error(this.reason);
  }
  async available(): Promise<boolean> {
    return false;
  }
  async prepare(): Promise<void> {
    this.fail();
  }
  async start(): Promise<DriverHandle> {
    this.fail();
  }
  async wait(): Promise<ExitResult> {
    return { exitCode: -1, error: this.reason };
  }
  async stop(): Promise<void> {}
  async kill(): Promise<void> {}
  async destroy(): Promise<void> {}
  async recover(): Promise<DriverHandle | undefined> {
    return undefined;
  }
  async exec(): Promise<ExecResult> {
    return { exitCode: 127, output: this.reason };
  }
}

const DOCKER_MODULE = new URL('../drivers/docker/docker-driver.ts', import.meta.url);

async function loadDockerDriver(config: ExecutorConfig, logger: Logger): Promise<Driver | undefined> {
  if (!existsSync(DOCKER_MODULE)) return undefined;
  try {
    const module = (await import(DOCKER_MODULE.href)) as { createDockerDriver?: (options?: Record<string, unknown>) => Driver };
    if (typeof module.createDockerDriver !== 'function') return undefined;
    const driver = module.createDockerDriver({ executorId: config.executorId, logger: logger.child({ driver: 'docker' }) });
    if (await driver.available()) return driver;
    logger.info('no Docker/Podman engine answers: DOCKER executables will not be advertised');
    await (driver as Partial<{ close(): Promise<void> }>).close?.();
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'the docker driver could not be loaded');
  }
  return undefined;
}

export async function createDriverCatalog(config: ExecutorConfig, logger: Logger): Promise<DriverCatalog> {
  const byType = new Map<ExecutableType, Driver>();
  if (config.drivers) {
    for (const driver of config.drivers) byType.set(driver.type, driver);
    if (config.driverMode === 'mock') {
      const mock = config.drivers.find((d) => (d as Partial<MockDriver>).simulated);
      if (mock) for (const type of ['PROCESS', 'DOCKER'] as const) byType.set(type, mock);
    }
  } else if (config.driverMode === 'mock') {
    const mock = new MockDriver({ clock: config.clock, writeLogs: !config.ephemeral });
    byType.set('PROCESS', mock);
    byType.set('DOCKER', mock);
  } else {
    const processDriver = new ProcessDriver({ dataDir: config.dataDir, exitLogDir: path.join(config.dataDir, 'exits') });
    if (await processDriver.available()) byType.set('PROCESS', processDriver);
    const docker = await loadDockerDriver(config, logger);
    if (docker) byType.set('DOCKER', docker);
  }
  const advertised = [...byType.keys()].sort();
  const drivers = [...new Set(byType.values())];
  return {
    advertised,
    drivers,
    forType(type) {
      return byType.get(type) ?? new UnavailableDriver(type, `This executor has no ${type} driver (it runs: ${advertised.join(', ') || 'nothing'})`);
    },
    async close() {
      for (const driver of drivers) await (driver as Partial<{ close(): unknown }>).close?.();
    },
  };
}
