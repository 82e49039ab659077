// History-API routing: every page has a real URL the controller also serves (deep links work).
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set();

function notify() {
  for (const listener of listeners) listener(location.pathname + location.search);
}

/** Goes to a dashboard URL without reloading. */
export function navigate(url, { replace = false } = {}) {
  if (url === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  notify();
  window.scrollTo(0, 0);
}

/** Same-origin link clicks become navigations (modifier keys and new tabs behave as usual). */
export function installLinkInterception() {
  window.addEventListener('popstate', notify);
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = event.target.closest?.('a[href]');
    if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
    const url = new URL(anchor.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/apis/') || url.pathname.startsWith('/ui/')) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
}

/** The current path and query, re-rendering on navigation. */
export function useLocation() {
  const [current, setCurrent] = useState(location.pathname + location.search);
  useEffect(() => {
    listeners.add(setCurrent);
    return () => listeners.delete(setCurrent);
  }, []);
  return current;
}

/**
 * Matches a path against `/apps/:appId/instances/:instanceId`-style patterns; returns the
 * decoded parameters or undefined.
 */
export function matchRoute(pattern, pathname) {
  const want = pattern.split('/').filter(Boolean);
  const have = pathname.split('/').filter(Boolean);
  if (want.length !== have.length) return undefined;
  const params = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) {
      try {
        params[want[i].slice(1)] = decodeURIComponent(have[i]);
      } catch {
        return undefined;
      }
    } else if (want[i] !== have[i]) {
      return undefined;
    }
  }
  return params;
}

/** The query parameters of the current URL. */
export function searchParams() {
  return new URLSearchParams(location.search);
}
