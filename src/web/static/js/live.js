// One server-sent event stream per page load (GET /apis/v1/cluster/events/stream) shared by every
// view. Views never poll: they re-read what they show when an event they care about arrives, and
// after a lost stream comes back (the stream does not replay what was missed, so a `resync`
// tells every view to read again).
//
//   connecting ──open──▶ live ──error──▶ reconnecting ──open──▶ live (+ resync to every view)
//                                            └── closed by the browser (e.g. 401) ─▶ retry after a pause

import { request } from './api.js';

const STREAM_URL = '/apis/v1/cluster/events/stream';
const RETRY_AFTER_CLOSE_MS = 5000;

const eventListeners = new Set();
const statusListeners = new Set();
let source;
let status = 'connecting';
let everOpened = false;
let retryTimer;

function setStatus(next) {
  if (status === next) return;
  status = next;
  for (const listener of statusListeners) listener(next);
}

function dispatch(event) {
  for (const listener of eventListeners) {
    try {
      listener(event);
    } catch (error) {
      // One view's bug must not stop the others from updating.
      console.warn('live event listener failed', error);
    }
  }
}

function connect() {
  clearTimeout(retryTimer);
  source = new EventSource(STREAM_URL);
  source.onopen = () => {
    const wasLost = everOpened;
    everOpened = true;
    setStatus('live');
    if (wasLost) dispatch({ type: 'RESYNC', time: Date.now(), metadata: {} });
  };
  source.onmessage = (message) => {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    if (event && typeof event.type === 'string') dispatch(event);
  };
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {
      // The browser gave up (an HTTP error such as 401 or 503): find out whether the login
      // is still accepted (a 401 shows "Log in again"), and try again ourselves.
      setStatus('reconnecting');
      source.close();
      request('GET', '/ui/session').catch(() => undefined);
      retryTimer = setTimeout(connect, RETRY_AFTER_CLOSE_MS);
    } else {
      setStatus('reconnecting');
    }
  };
}

/** Starts the stream (once). */
export function startLive() {
  if (!source) connect();
}

/** Calls `listener(event)` for every event (and `{type: 'RESYNC'}` after a reconnect); returns the unsubscribe. */
export function subscribeEvents(listener) {
  eventListeners.add(listener);
  return () => eventListeners.delete(listener);
}

export function subscribeStatus(listener) {
  statusListeners.add(listener);
  listener(status);
  return () => statusListeners.delete(listener);
}

export const liveStatus = () => status;
