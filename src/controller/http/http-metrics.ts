/**
 * Prometheus metrics of one controller (`GET /metrics`; any authenticated user unless
 * `metricsAuth: false`, the `corral dev` default — docs/security.md): request durations by route,
 * executors by state, store write latency, executor channel round trips, the default process
 * metrics, and the cluster's series (cluster-metrics.ts). Each controller has its own registry so
 * several controllers in one process (tests) do not collide. Every metric: docs/metrics.md.
 */
import type { FastifyContextConfig, FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from '../store/store.ts';

/** Store methods that only read: everything else is a write (same rule as store-health.ts). */
const STORE_READS = /^(get|list|count|load|find|read|probe|has)/;

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly storeWriteDuration: Histogram<'method'>;
  readonly channelRoundTrip: Histogram;

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
    this.storeWriteDuration = new Histogram({
      name: 'corral_store_write_duration_seconds',
      help: 'Time a store write took to be durable, by store method',
      labelNames: ['method'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.channelRoundTrip = new Histogram({
      name: 'corral_executor_channel_round_trip_seconds',
      help: 'Executor control channel round trip (WebSocket ping to pong)',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
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

  /** The store, with the duration of every write (successful or not) observed by method. */
  timeStoreWrites(store: Store): Store {
    const histogram = this.storeWriteDuration;
    return new Proxy(store, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string' || STORE_READS.test(property)) return value;
        return (...args: unknown[]) => {
          const started = performance.now();
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (!(result instanceof Promise)) return result;
          const observe = () => histogram.observe({ method: property }, (performance.now() - started) / 1000);
          result.then(observe, observe);
          return result;
        };
      },
    });
  }

  /** Observes every response and serves `GET /metrics` (public unless `requireAuth`). */
  install(app: FastifyInstance, options: { requireAuth: boolean }): void {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched');
      this.httpDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });
    const access: FastifyContextConfig = options.requireAuth ? { roles: 'ANY' } : { public: true };
    app.get('/metrics', { config: access }, async (_request, reply) => {
      const text = await this.registry.metrics();
      reply.header('content-type', this.registry.contentType).serializer((payload: string) => payload);
      return text;
    });
  }
}
