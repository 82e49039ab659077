/**
 * The end of an application operation: the app's final state and expected count (docs/api.md §2.3,
 * §2.4) and the operation's outcome.
 *
 *   scale family, converged          → RUNNING (target > 0) / MONITORING (target 0), COMPLETED
 *   scale family, not converged      → stays SCALING_REQUESTED (the reconciler retries), FAILED | TIMED_OUT
 *   cancelled / aborted              → expected := HEALTHY now (scale family, skipRespawn stops);
 *                                      RUNNING (healthy > 0) / MONITORING, CANCELLED
 *   superseded by a newer SCALE      → app left to the newer operation, CANCELLED
 *   any other operation queued behind → app left to it (its acceptance already set the app's
 *                                      state and expected count), outcome as below
 *   stop / replace / blacklist move  → RUNNING (healthy > 0) / MONITORING
 *   destroy                          → DESTROYED, then every record of the app deleted
 */
import type { AppRecord, ApplicationState } from '../../api/app-types.ts';
import type { OperationOutcome } from '../operations/operation-kind.ts';
import type { RunningOperation } from '../operations/running-operation.ts';
import type { StepWindowSummary } from '../operations/step-window.ts';
import type { AppModel } from './app-model.ts';
import { SCALE_FAMILY, type AppCheckpoint } from './app-checkpoint.ts';

export async function settleOperation(
  model: AppModel, op: RunningOperation, app: AppRecord, checkpoint: AppCheckpoint, summary: StepWindowSummary,
  hasSuccessor: boolean,
): Promise<OperationOutcome> {
  return model.locks.run(app.appId, async () => {
    const current = model.app(app.appId);
    if (!current) return { state: 'FAILED', message: `App ${app.appId} no longer exists`, reason: 'app not found' };
    const type = op.record.type;
    const healthy = model.healthyCount(app.appId);
    const total = checkpoint.steps.length;
    const steps = `${summary.done} of ${total} step(s) done`;
    const failure = summary.failed > 0 ? (summary.timedOut === summary.failed ? 'TIMED_OUT' : 'FAILED') : undefined;
    const save = (next: AppRecord) => (hasSuccessor ? Promise.resolve() : model.saveApp(next));
    const settled = (state: ApplicationState) => (state === current.state ? Promise.resolve() : save({ ...current, state }));
    const stable: ApplicationState = healthy > 0 ? 'RUNNING' : 'MONITORING';

    if (op.cancelReason?.kind === 'superseded') {
      return { state: 'CANCELLED', message: `Superseded by ${op.cancelReason.operationId}; ${steps}`, reason: 'superseded' };
    }

    if (type === 'DESTROY') {
      if (op.record.state === 'CANCELLING' || model.instanceCount(app.appId) > 0) {
        await settled('MONITORING');
        const left = model.instanceCount(app.appId);
        return op.record.state === 'CANCELLING'
          ? { state: 'CANCELLED', message: `Destroy cancelled; ${left} instance(s) left`, reason: 'cancelled' }
          : { state: failure ?? 'FAILED', message: `Could not stop ${left} instance(s): ${summary.firstFailure ?? 'still running'}`, reason: 'instances still running' };
      }
      await model.saveApp({ ...current, state: 'DESTROYED' });
      await model.deleteApp(app.appId);
      return { state: 'COMPLETED', message: `App ${app.appId} destroyed`, reason: 'destroyed' };
    }

    if (op.record.state === 'CANCELLING') {
      const resetsCount = SCALE_FAMILY.has(type) || (type === 'STOP_INSTANCES' && op.record.request.skipRespawn === true);
      const requiredInstances = resetsCount ? healthy : current.requiredInstances;
      if (requiredInstances !== current.requiredInstances || stable !== current.state) {
        await save({ ...current, state: stable, requiredInstances });
      }
      // No "Cancelled:" prefix: the state already says it, and the engine notes `CANCELLED: <message>`.
      const asked = SCALE_FAMILY.has(type) && checkpoint.target !== undefined ? `asked for ${checkpoint.target} instance(s), reached ${healthy} healthy` : `${healthy} healthy instance(s)`;
      return {
        state: 'CANCELLED',
        message: `Stopped early: ${steps}; ${asked}; the app now expects ${requiredInstances}`,
        reason: 'cancelled',
      };
    }

    if (SCALE_FAMILY.has(type)) {
      const target = checkpoint.target ?? current.requiredInstances;
      const up = model.comingUp(app.appId).length;
      if (healthy === target && up === target) {
        await settled(target > 0 ? 'RUNNING' : 'MONITORING');
        return { state: 'COMPLETED', message: `App ${app.appId} has ${healthy} healthy instance(s)`, reason: 'converged' };
      }
      await settled('SCALING_REQUESTED');
      const why = summary.firstFailure ? `: ${summary.firstFailure}` : '';
      return {
        state: failure ?? 'FAILED',
        message: `Target of ${target} instance(s) not reached (${healthy} healthy); the controller will retry${why}`,
        reason: 'not converged',
      };
    }

    await settled(stable);
    if (failure) return { state: failure, message: `${steps}; ${summary.failed} failed: ${summary.firstFailure ?? ''}`, reason: 'step failed' };
    return { state: 'COMPLETED', message: `${steps}; ${healthy} healthy instance(s)`, reason: 'done' };
  });
}
