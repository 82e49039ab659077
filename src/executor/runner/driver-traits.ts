/**
 * Optional traits a driver may declare beside the shared Driver interface (duck-typed, so the
 * interface in drivers/driver.ts stays unchanged):
 *
 *  - `durableExit`: the exit status stays readable through `recover` + `wait` even after
 *    `destroy` (process driver: the exit file survives; mock: the handle computes it). The
 *    runner then need not write the exit to disk before cleanup, saving a write per task.
 *  - `createsDirectories`: `start` creates the spec's workDir and logDir itself (the process
 *    driver does it in its spawn helper, off the executor's event loop), so the task-dir hook
 *    only creates them when something must be put there before the start.
 *  - `adopt(spec)`: finds a workload started for `spec` whose handle was never saved (the
 *    executor died between the start and saving the handle): its handle, or undefined when
 *    nothing was started. Without it such a start is reported as failed.
 *  - `cleanUp(live, maxAgeMs, now)`: removes what the driver keeps for workloads beyond
 *    their own directories (process: old exit logs) once no live workload needs it.
 *  - `simulated` (mock): see drivers/mock/mock-driver.ts `isSimulatedDriver`.
 */
import type { Driver, DriverHandle, WorkloadStartSpec } from '../drivers/driver.ts';

export type Adopter = (spec: WorkloadStartSpec) => Promise<DriverHandle | undefined>;

export function createsDirectories(driver: Driver): boolean {
  return (driver as Driver & { createsDirectories?: boolean }).createsDirectories === true;
}

export function hasDurableExit(driver: Driver): boolean {
  return (driver as Driver & { durableExit?: boolean }).durableExit === true;
}

export function adopterOf(driver: Driver): Adopter | undefined {
  const adopt = (driver as Driver & { adopt?: Adopter }).adopt;
  return typeof adopt === 'function' ? adopt.bind(driver) : undefined;
}

export type Cleaner = (live: DriverHandle[], maxAgeMs: number, now: number) => Promise<number>;

export function cleanerOf(driver: Driver): Cleaner | undefined {
  const cleanUp = (driver as Driver & { cleanUp?: Cleaner }).cleanUp;
  return typeof cleanUp === 'function' ? cleanUp.bind(driver) : undefined;
}
