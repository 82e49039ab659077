/**
 * Which driver runs which executable type on this executor, and which types `hello` advertises:
 * PROCESS always (process driver); DOCKER when the docker driver is present in the source tree
 * and its engine answers. With `--driver mock` the mock driver runs every type.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ExecutorHostInfo } from '../../api/cluster-types.ts';
import type { Allocation } from '../../api/resource-types.ts';
import type { ExecutableType } from '../../api/spec-types.ts';
import type { Logger } from '../../common/logger.ts';
import type { Driver, DriverHandle, ExecResult, ExitResult } from '../drivers/driver.ts';
import { NO_CAPABILITIES } from '../drivers/driver.ts';
import { MockDriver } from '../drivers/mock/mock-driver.ts';
import type { Confinement } from '../drivers/process/process-confinement.ts';
import { ProcessDriver } from '../drivers/process/process-driver.ts';
import { openCgroups } from '../host/cgroups/open-cgroups.ts';
import { hostPlacement } from '../host/resource-plan.ts';
import type { ExecutorConfig } from './executor-options.ts';

export interface DriverCatalog {
  /** The driver for a type; an "unavailable" driver that fails readably when there is none. */
  forType(type: ExecutableType): Driver;
  /** Types advertised in `hello.drivers`. */
  readonly advertised: ExecutableType[];
  /** Every distinct real driver (for reaping and closing). */
  readonly drivers: Driver[];
  /** How workloads are confined here (hello, executor details). */
  readonly enforcement: ExecutorHostInfo['enforcement'];
  close(): Promise<void>;
}

/** Stands in for a driver this executor does not have: every use fails with the reason. */
class UnavailableDriver implements Driver {
  readonly type: ExecutableType;
  readonly capabilities = NO_CAPABILITIES;
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
  close(): void {}
}

const DOCKER_MODULE = new URL('../drivers/docker/docker-driver.ts', import.meta.url);

async function loadDockerDriver(config: ExecutorConfig, logger: Logger): Promise<Driver | undefined> {
  if (!existsSync(DOCKER_MODULE)) return undefined;
  try {
    const module = (await import(DOCKER_MODULE.href)) as { createDockerDriver?: (options?: Record<string, unknown>) => Driver };
    if (typeof module.createDockerDriver !== 'function') return undefined;
    const driver = module.createDockerDriver({
      executorId: config.executorId, logger: logger.child({ driver: 'docker' }), placement: (allocation: Allocation) => hostPlacement(config.resources, allocation),
    });
    if (await driver.available()) return driver;
    logger.info('no Docker/Podman engine answers: DOCKER executables will not be advertised');
    await driver.close();
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'the docker driver could not be loaded');
  }
  return undefined;
}

/**
 * Host processes: cgroups when the host gives them; a refusal to start when it does not (the
 * problem logged now, at start, not at the first workload); nothing with `--no-enforce`.
 */
async function openConfinement(config: ExecutorConfig, logger: Logger): Promise<{ confinement: Confinement; enforcement: ExecutorHostInfo['enforcement'] }> {
  if (!config.enforce) {
    logger.warn('--no-enforce: PROCESS workloads run without cgroups; their cores and memory are booked but not enforced');
    return { confinement: { mode: 'none' }, enforcement: { cgroups: 'none', process: false, disabledByOperator: true } };
  }
  const plan = config.resources;
  const setup = await openCgroups({
    executorId: config.executorId, root: config.cgroupRoot, parent: config.cgroupParent, probe: { cpus: plan.offeredCpus, mems: plan.offeredMems },
  });
  if (setup.cgroups) {
    logger.info({ cgroups: setup.version, parents: setup.cgroups.parents, pinning: plan.pinning }, 'PROCESS workloads are confined by cgroups');
    return {
      confinement: { mode: 'cgroups', cgroups: setup.cgroups, placement: (allocation) => hostPlacement(plan, allocation) },
      enforcement: { cgroups: setup.version, process: true, disabledByOperator: false },
    };
  }
  logger.error({ problem: setup.problem }, 'PROCESS workloads cannot be confined on this host: their starts will be refused (--no-enforce runs them unconfined)');
  return { confinement: { mode: 'refuse', reason: setup.problem }, enforcement: { cgroups: setup.version, process: false, disabledByOperator: false, problem: setup.problem } };
}

export async function createDriverCatalog(config: ExecutorConfig, logger: Logger): Promise<DriverCatalog> {
  const byType = new Map<ExecutableType, Driver>();
  let enforcement: ExecutorHostInfo['enforcement'] = { cgroups: 'none', process: false, disabledByOperator: false };
  if (config.drivers) {
    for (const driver of config.drivers) byType.set(driver.type, driver);
    if (config.driverMode === 'mock') {
      const mock = config.drivers.find((d) => d.capabilities.simulated);
      if (mock) for (const type of ['PROCESS', 'DOCKER'] as const) byType.set(type, mock);
    }
  } else if (config.driverMode === 'mock') {
    const mock = new MockDriver({ clock: config.clock, writeLogs: !config.ephemeral });
    byType.set('PROCESS', mock);
    byType.set('DOCKER', mock);
  } else {
    const confined = await openConfinement(config, logger);
    enforcement = confined.enforcement;
    const processDriver = new ProcessDriver({ dataDir: config.dataDir, exitLogDir: path.join(config.dataDir, 'exits'), confinement: confined.confinement });
    if (await processDriver.available()) byType.set('PROCESS', processDriver);
    const docker = await loadDockerDriver(config, logger);
    if (docker) byType.set('DOCKER', docker);
  }
  const advertised = [...byType.keys()].sort();
  const drivers = [...new Set(byType.values())];
  return {
    advertised,
    drivers,
    enforcement,
    forType(type) {
      return byType.get(type) ?? new UnavailableDriver(type, `This executor has no ${type} driver (it runs: ${advertised.join(', ') || 'nothing'})`);
    },
    async close() {
      for (const driver of drivers) await driver.close();
    },
  };
}
