// One colour family ("tone") per meaning, used by every page, so a state looks and reads the
// same wherever it appears. The word shown is always the API's own state name.
//   ok: working as intended   busy: on its way   warn: needs an eye   bad: failed or lost
//   idle: finished or at rest, nothing wrong

const TONES = {
  ok: [
    'HEALTHY', 'RUNNING', 'ACTIVE', 'COMPLETED', 'SUCCESSFUL', 'NORMAL', 'success', 'READY',
  ],
  busy: [
    'PENDING', 'PROVISIONING', 'STARTING', 'UNREADY', 'QUEUED', 'SCALING_REQUESTED', 'STOP_INSTANCES_REQUESTED',
    'REPLACE_INSTANCES_REQUESTED', 'DESTROY_REQUESTED', 'INIT', 'RUN_COMPLETED', 'DEPROVISIONING', 'STOPPING',
    'ACTIVATION_REQUESTED', 'CONFIG_TESTING_REQUESTED', 'ADJUSTING_INSTANCES', 'DEPLOYING_TEST_INSTANCE',
    'REPLACING_INSTANCES', 'STOPPING_INSTANCES', 'UPDATING_INSTANCES_COUNT', 'CONFIG_TESTING', 'incomplete',
  ],
  warn: [
    'CANCELLING', 'BLACKLIST_REQUESTED', 'BLACKLISTED', 'OUTAGE_DETECTED', 'UNHEALTHY', 'MAINTENANCE', 'UNKNOWN',
    'partial_success', 'DEACTIVATION_REQUESTED', 'EMERGENCY_DEACTIVATION_REQUESTED', 'TIMED_OUT',
  ],
  bad: [
    'FAILED', 'LOST', 'PROVISIONING_FAILED', 'START_FAILED', 'READINESS_CHECK_FAILED', 'RUN_FAILED', 'failure',
    'DISCONNECTED',
  ],
  idle: ['STOPPED', 'CANCELLED', 'DESTROYED', 'MONITORING', 'REMOVED', 'INACTIVE'],
};

const TONE_OF = new Map();
for (const [tone, states] of Object.entries(TONES)) for (const state of states) TONE_OF.set(state, tone);

/** The tone of a state word (unknown words are `idle`). */
export const toneOf = (state) => TONE_OF.get(state) ?? 'idle';

/** The order tones are listed in summaries: what needs attention first. */
export const TONE_ORDER = ['bad', 'warn', 'busy', 'ok', 'idle'];

export const ACTIVE_OPERATION_STATES = new Set(['QUEUED', 'RUNNING', 'CANCELLING']);
export const ACTIVE_TASK_STATES = new Set(['PENDING', 'PROVISIONING', 'STARTING', 'RUNNING', 'RUN_COMPLETED', 'DEPROVISIONING']);
