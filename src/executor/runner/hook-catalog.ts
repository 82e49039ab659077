/** The ordered hook lists the runner walks for tasks and for app instances. */
import type { LogRotator } from '../logs/log-rotator.ts';
import type { AnyHook } from './hook-types.ts';
import { checksHook } from './hooks/checks-hook.ts';
import { configsHook } from './hooks/configs-hook.ts';
import { driverPrepareHook } from './hooks/driver-prepare-hook.ts';
import { envHook } from './hooks/env-hook.ts';
import { createLogRotationHook } from './hooks/log-rotation-hook.ts';
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

export function createHookCatalog(deps: { rotator: LogRotator; ports: PortAllocator; preShutdown?: PreShutdownTimings }): HookCatalog {
  const logRotation = createLogRotationHook(deps.rotator);
  return {
    // validate → task directory → configs → env → driver prepare (PROVISIONING); then start.
    task: [validateHook, taskDirHook, configsHook, envHook, driverPrepareHook, logRotation],
    instance: [
      validateHook, taskDirHook, configsHook, createPortsHook(deps.ports), envHook, driverPrepareHook,
      logRotation, checksHook, createPreShutdownHook(deps.preShutdown),
    ],
  };
}
