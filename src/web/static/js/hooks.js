// Data hooks shared by the pages.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { subscribeEvents, subscribeStatus } from './live.js';

/** How long events are gathered before one re-read: a burst of 50 instance changes is one read. */
const COALESCE_MS = 250;

/**
 * Loads `load()` now and again whenever a live event passes `refreshOn` (event types) and
 * `filter(event)`, and after the stream reconnects. Reads are coalesced (one in flight, at most
 * one queued). A failed re-read keeps the last good data and reports the error beside it, so the
 * page is never left half-updated (unless the API answered that the thing is gone).
 *
 * Returns `{ data, error, loading, refresh }`.
 */
export function useResource(load, deps, { refreshOn = [], filter } = {}) {
  const [state, setState] = useState({ data: undefined, error: undefined, loading: true });
  const loadRef = useRef(load);
  loadRef.current = load;
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const control = useRef({ generation: 0, inFlight: false, again: false, timer: undefined });

  const refresh = useCallback(async () => {
    const c = control.current;
    if (c.inFlight) {
      c.again = true;
      return;
    }
    c.inFlight = true;
    const generation = c.generation;
    try {
      const data = await loadRef.current();
      if (generation === c.generation) setState({ data, error: undefined, loading: false });
    } catch (error) {
      // A lookup the API answered FAILED with HTTP 200 ("App x not found") is an answer, not an
      // outage: what was shown is gone. Anything else keeps the last good data beside the error.
      const gone = error?.status === 200;
      if (generation === c.generation) setState((previous) => ({ data: gone ? undefined : previous.data, error, loading: false }));
    } finally {
      c.inFlight = false;
      if (c.again) {
        c.again = false;
        refresh();
      }
    }
  }, []);

  useEffect(() => {
    const c = control.current;
    c.generation += 1;
    c.again = false;
    c.inFlight = false;
    setState({ data: undefined, error: undefined, loading: true });
    refresh();
    return () => {
      c.generation += 1;
      clearTimeout(c.timer);
      c.timer = undefined;
    };
  }, deps);

  const types = refreshOn.join(',');
  useEffect(() => {
    if (!types) return undefined;
    const wanted = new Set(types.split(','));
    return subscribeEvents((event) => {
      if (event.type !== 'RESYNC' && (!wanted.has(event.type) || (filterRef.current && !filterRef.current(event)))) return;
      const c = control.current;
      if (c.timer) return;
      c.timer = setTimeout(() => {
        c.timer = undefined;
        refresh();
      }, event.type === 'RESYNC' ? 0 : COALESCE_MS);
    });
  }, [types, refresh]);

  return { ...state, refresh };
}

/** Calls `listener(event)` for live events of the given types (and RESYNC). */
export function useLiveEvents(types, listener) {
  const listenerRef = useRef(listener);
  listenerRef.current = listener;
  const key = types.join(',');
  useEffect(() => {
    const wanted = new Set(key.split(','));
    return subscribeEvents((event) => {
      if (event.type === 'RESYNC' || wanted.has(event.type)) listenerRef.current(event);
    });
  }, [key]);
}

/** The live stream's status: 'connecting' | 'live' | 'reconnecting'. */
export function useLiveStatus() {
  const [status, setStatus] = useState('connecting');
  useEffect(() => subscribeStatus(setStatus), []);
  return status;
}

const tickListeners = new Set();
let tickTimer;

/** Re-renders every 15 s so relative times stay true (no request is made). */
export function useTick() {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    tickListeners.add(listener);
    if (!tickTimer) tickTimer = setInterval(() => tickListeners.forEach((l) => l()), 15_000);
    return () => {
      tickListeners.delete(listener);
      if (tickListeners.size === 0) {
        clearInterval(tickTimer);
        tickTimer = undefined;
      }
    };
  }, []);
}

/** Sets the document title for a page. */
export function useTitle(title) {
  useEffect(() => {
    document.title = title ? `${title} · corral` : 'corral';
  }, [title]);
}
