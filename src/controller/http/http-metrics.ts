/**
 * Prometheus metrics of one controller (`GET /metrics`, public): request durations by route,
 * executors by state, and the default process metrics. Each controller has its own registry so
 * several controllers in one process (tests) do not collide.
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;

  /** `executorsByState` is read at scrape time. */
  constructor(executorsByState: () => Record<string, number>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'corral_' });
    this.httpDuration = new Histogram({
      name: 'corral_http_request_duration_seconds',
      help: 'HTTP request duration by route pattern, method and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    new Gauge({
      name: 'corral_executors',
      help: 'Executors known to the controller, by state (connected ones by executorState; DISCONNECTED, LOST and REMOVED otherwise)',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [state, count] of Object.entries(executorsByState())) this.set({ state }, count);
      },
    });
  }

  /** Observes every response and serves `GET /metrics`. */
  install(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched');
      this.httpDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });
    app.get('/metrics', { config: { public: true } }, async (_request, reply) => {
      const text = await this.registry.metrics();
      reply.header('content-type', this.registry.contentType).serializer((payload: string) => payload);
      return text;
    });
  }
}
