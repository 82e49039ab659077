/**
 * Reads the controller's SSE event stream (`/apis/v1/cluster/events/stream`) in a test:
 * collects events and comment lines as they arrive.
 *
 *   const stream = await openEventStream(controller.url, { query: 'type=EXECUTOR_LOST' });
 *   await waitFor(() => stream.events.find((e) => e.type === 'EXECUTOR_LOST'));
 *   stream.close();
 */
import type { ClusterEvent } from '../../src/api/cluster-types.ts';
import { basicAuth, type ApiAuth } from './api-client.ts';

export interface EventStreamClient {
  status: number;
  contentType: string | null;
  events: ClusterEvent[];
  /** SSE `id:` of each event, in order. */
  ids: string[];
  /** Comment lines (`: heartbeat` …) without the leading colon. */
  comments: string[];
  close(): void;
}

export async function openEventStream(baseUrl: string, options: { auth?: ApiAuth | false; query?: string } = {}): Promise<EventStreamClient> {
  const auth = options.auth ?? { user: 'admin', password: 'admin' };
  const controller = new AbortController();
  const response = await fetch(`${baseUrl}/apis/v1/cluster/events/stream${options.query ? `?${options.query}` : ''}`, {
    headers: auth ? { authorization: basicAuth(auth) } : {},
    signal: controller.signal,
  });
  const client: EventStreamClient = {
    status: response.status,
    contentType: response.headers.get('content-type'),
    events: [],
    ids: [],
    comments: [],
    close: () => controller.abort(),
  };
  if (response.status !== 200 || !response.body) return client;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) client.comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) client.ids.push(line.slice(4));
            else if (line.startsWith('data: ')) client.events.push(JSON.parse(line.slice(6)) as ClusterEvent);
          }
        }
      }
    } catch {
      // Aborted by close(), or the server ended the stream.
    }
  })().catch(() => undefined); // the loop catches its own errors
  return client;
}
