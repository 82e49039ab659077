/**
 * A small fetch client for the controller API: `{status, body}` with the body parsed as JSON
 * when it is JSON (else the text). Credentials default to the dev admin; pass `false` for none.
 *
 *   const admin = api(controller.url);
 *   const { status, body } = await admin.get('/apis/v1/ping');
 *   await api(url, { user: 'guest', password: 'guest' }).post('/apis/v1/cluster/maintenance/set');
 */

export interface ApiResponse<T = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export interface ApiAuth {
  user: string;
  password: string;
}

export interface RequestOptions {
  /** A value to send as JSON, or a string sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Give up (the promise rejects) after this long: a host cut off never answers. */
  timeoutMs?: number;
}

export interface ApiClient {
  get(path: string, options?: RequestOptions): Promise<ApiResponse>;
  post(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse>;
  put(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse>;
  delete(path: string, options?: RequestOptions): Promise<ApiResponse>;
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
}

export function basicAuth(auth: ApiAuth): string {
  return `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
}

/** `defaults.timeoutMs` applies to every request that does not set its own. */
export function api(baseUrl: string, auth: ApiAuth | false = { user: 'admin', password: 'admin' }, defaults: { timeoutMs?: number } = {}): ApiClient {
  const request = async (method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> => {
    const timeoutMs = options.timeoutMs ?? defaults.timeoutMs;
    const headers: Record<string, string> = { ...options.headers };
    if (auth) headers.authorization ??= basicAuth(auth);
    let body: string | Uint8Array | undefined;
    // As bytes: fetch would label a string body text/plain, and the controller refuses non-JSON types.
    if (typeof options.body === 'string') body = new TextEncoder().encode(options.body);
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const signal = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
    const response = await fetch(new URL(path, baseUrl), { method, headers, body, signal });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: response.status, body: parsed, text, headers: response.headers };
  };
  return {
    request,
    get: (path, options) => request('GET', path, options),
    delete: (path, options) => request('DELETE', path, options),
    post: (path, body, options) => request('POST', path, { ...options, body }),
    put: (path, body, options) => request('PUT', path, { ...options, body }),
  };
}
