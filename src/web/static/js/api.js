// The dashboard's only way to the controller: same-origin fetch with the browser's basic-auth
// login. Every answer is checked the way docs/api.md §1.3 tells clients to (2xx and status SUCCESS).

/** A call that did not succeed; `validationErrors` are the API's own messages, shown as given. */
export class ApiError extends Error {
  constructor(message, { status = 0, validationErrors = [], body } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.validationErrors = validationErrors;
    this.body = body;
  }
}

const loginListeners = new Set();

/** Called once a call answers 401: the login expired or was refused. */
export function onLoginNeeded(listener) {
  loginListeners.add(listener);
  return () => loginListeners.delete(listener);
}

function loginNeeded() {
  for (const listener of loginListeners) listener();
}

/** Sends a request and returns the parsed JSON body (or null when there is none). */
export async function request(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  for (let attempt = 1; ; attempt++) {
    try {
      response = await fetch(path, init);
      break;
    } catch {
      // A read is retried once after a network blip (e.g. the browser saw the network change);
      // a write never is, so it can never be applied twice.
      if (method !== 'GET' || attempt > 1) throw new ApiError('The controller could not be reached (network error). Is it running?');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  if (response.status === 401) {
    loginNeeded();
    throw new ApiError('Your login was not accepted (HTTP 401).', { status: 401 });
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let parsed = null;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ApiError(`The controller answered HTTP ${response.status} with a body that is not JSON.`, { status: response.status });
    }
  }
  if (response.status === 403) {
    throw new ApiError(parsed?.message ?? 'Your role may not do this (HTTP 403).', { status: 403, body: parsed });
  }
  return { response, body: parsed };
}

/** Unwraps the Drove envelope: `data` on success, an ApiError carrying the API's messages otherwise. */
function unwrap(result) {
  if (result === null) throw new ApiError('The controller answered with no content (HTTP 204).', { status: 204 });
  const { response, body } = result;
  if (response.ok && body?.status === 'SUCCESS') return body.data;
  const validationErrors = Array.isArray(body?.data?.validationErrors) ? body.data.validationErrors : [];
  const message = body?.message ?? `HTTP ${response.status}`;
  throw new ApiError(message, { status: response.status, validationErrors, body });
}

export const apiGet = async (path) => unwrap(await request('GET', path));
export const apiPost = async (path, body) => unwrap(await request('POST', path, body));
export const apiDelete = async (path) => unwrap(await request('DELETE', path));

/** Like apiGet, but `undefined` when the route does not exist here (404): for features still to land. */
export async function apiGetOptional(path) {
  const result = await request('GET', path);
  if (result?.response.status === 404) return undefined;
  return unwrap(result);
}

/** Path segment, percent-encoded (app names and task ids may hold characters a URL treats specially). */
export const seg = (value) => encodeURIComponent(String(value));

/** Query string from an object; arrays repeat the key (docs/api.md §1.2). */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    for (const v of Array.isArray(value) ? value : [value]) search.append(key, String(v));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
