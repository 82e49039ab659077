// One line of text and a link for a cluster event (docs/api.md §4.8.4 metadata).

const enc = encodeURIComponent;

export function describeEvent(event) {
  const m = event.metadata ?? {};
  const arrow = m.CURRENT_STATE ? ` → ${m.CURRENT_STATE}` : '';
  switch (event.type) {
    case 'APP_STATE_CHANGE':
      return `${m.APP_ID}${arrow}`;
    case 'INSTANCE_STATE_CHANGE':
      return `${m.APP_ID} instance ${m.INSTANCE_ID} on ${m.EXECUTOR_HOST ?? '?'}${arrow}${m.ERROR ? ` (${m.ERROR})` : ''}`;
    case 'TASK_STATE_CHANGE':
      return `task ${m.APP_NAME}/${m.TASK_ID}${arrow}${m.RESULT_STATUS ? ` (${m.RESULT_STATUS}, exit ${m.RESULT_EXIT_CODE})` : ''}`;
    case 'OPERATION_STATE_CHANGE':
      return `${m.OPERATION_TYPE} of ${m.APP_ID ?? `${m.APP_NAME}/${m.TASK_ID}`}${arrow}${m.ABORT_MODE ? ` (abort: ${m.ABORT_MODE})` : ''}`;
    case 'LOCAL_SERVICE_STATE_CHANGE':
      return `local service ${m.LOCAL_SERVICE_ID}${arrow}`;
    case 'LOCAL_SERVICE_INSTANCE_STATE_CHANGE':
      return `local service ${m.SERVICE_ID} instance ${m.INSTANCE_ID}${arrow}`;
    case 'MAINTENANCE_MODE_SET':
    case 'MAINTENANCE_MODE_REMOVED':
    case 'LEADERSHIP_ACQUIRED':
    case 'LEADERSHIP_LOST':
      return `controller ${m.HOSTNAME ?? ''}`;
    case 'TASK_EVENT':
      return `task ${m.APP_NAME}/${m.TASK_ID}: ${m.MESSAGE ?? m.EVENT_TYPE ?? ''}`;
    default:
      return m.HOSTNAME ? `executor ${m.HOSTNAME}${m.PORT ? `:${m.PORT}` : ''}` : m.EXECUTOR_ID ? `executor ${m.EXECUTOR_ID}` : '';
  }
}

export function eventHref(event) {
  const m = event.metadata ?? {};
  switch (event.type) {
    case 'APP_STATE_CHANGE':
      return m.APP_ID ? `/apps/${enc(m.APP_ID)}` : undefined;
    case 'INSTANCE_STATE_CHANGE':
      return m.APP_ID && m.INSTANCE_ID ? `/apps/${enc(m.APP_ID)}/instances/${enc(m.INSTANCE_ID)}` : undefined;
    case 'TASK_STATE_CHANGE':
    case 'TASK_EVENT':
      return m.APP_NAME && m.TASK_ID ? `/tasks/${enc(m.APP_NAME)}/${enc(m.TASK_ID)}` : undefined;
    case 'OPERATION_STATE_CHANGE':
      return m.OPERATION_ID ? `/operations/${enc(m.OPERATION_ID)}` : undefined;
    case 'LOCAL_SERVICE_STATE_CHANGE':
      return m.LOCAL_SERVICE_ID ? `/local-services/${enc(m.LOCAL_SERVICE_ID)}` : undefined;
    default:
      return m.EXECUTOR_ID ? `/executors/${enc(m.EXECUTOR_ID)}` : undefined;
  }
}
