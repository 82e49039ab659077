/** The ordered hook lists the runner walks for tasks and for app instances. */
import type { LogRotator } from '../logs/log-rotator.ts';
import type { LogShipper } from '../logs/log-shipper.ts';
import type { AnyHook } from './hook-phases.ts';
import { checksHook } from './hooks/checks-hook.ts';
import { configsHook } from './hooks/configs-hook.ts';
import { driverPrepareHook } from './hooks/driver-prepare-hook.ts';
import { envHook } from './hooks/env-hook.ts';
import { createLogRotationHook } from './hooks/log-rotation-hook.ts';
import { createLogShippingHook } from './hooks/log-shipping-hook.ts';
import { createPortsHook } from './hooks/ports-hook.ts';
import type { PreShutdownTimings } from './hooks/pre-shutdown-hook.ts';
import { createPreShutdownHook } from './hooks/pre-shutdown-hook.ts';
import { taskDirHook } from './hooks/task-dir-hook.ts';
import { validateHook } from './hooks/validate-hook.ts';
import type { PortAllocator } from './port-allocator.ts';

export interface HookCatalog {
  task: AnyHook[];
  instance: AnyHook[];
}

export function createHookCatalog(deps: {
  rotator: LogRotator;
  ports: PortAllocator;
  preShutdown?: PreShutdownTimings;
  /** RSYSLOG logging; without it (some tests) such specs keep their output in output.log only. */
  shipper?: LogShipper;
}): HookCatalog {
  // Shipping before rotation in poststart: the follower guards truncations from the first one.
  const logHooks = [...(deps.shipper ? [createLogShippingHook(deps.shipper)] : []), createLogRotationHook(deps.rotator)];
  return {
    // validate → task directory → configs → env → driver prepare (PROVISIONING); then start.
    task: [validateHook, taskDirHook, configsHook, envHook, driverPrepareHook, ...logHooks],
    instance: [
      validateHook, taskDirHook, configsHook, createPortsHook(deps.ports), envHook, driverPrepareHook,
      ...logHooks, checksHook, createPreShutdownHook(deps.preShutdown),
    ],
  };
}
