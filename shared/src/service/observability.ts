import { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    /** This instance's Prometheus registry (one per app, so several apps in one test process don't clash). */
    metrics: Registry;
  }
}

export type ObservabilityOptions = { service: string; defaultMetrics?: boolean };

/**
 * One JSON log line per request (start with `disableRequestLogging: true`), request latency
 * histogram, and `GET /metrics` in Prometheus text format.
 */
export const observabilityPlugin = fp<ObservabilityOptions>(
  async (app: FastifyInstance, opts) => {
    const registry = new Registry();
    registry.setDefaultLabels({ service: opts.service });
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
    app.decorate('metrics', registry);

    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [registry],
    });

    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const seconds = reply.elapsedTime / 1000;
      duration.observe({ method: request.method, route, status: reply.statusCode }, seconds);
      if (route === '/metrics' || route === '/health') return;
      request.log.info(
        {
          method: request.method,
          url: request.url,
          route,
          statusCode: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 100) / 100,
        },
        'request',
      );
    });

    app.get('/metrics', { config: { public: true } }, async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    });
  },
  { name: 'observability', fastify: '5.x' },
);

/** Pino options both services use: no request/response bodies, no secrets. */
export const loggerOptions = (level: string) => ({
  level,
  redact: {
    paths: ['req.headers.authorization', 'headers.authorization', '*.token', '*.password'],
    censor: '[redacted]',
  },
});

/** Fastify options both services share: our one-line request log instead of Fastify's two, drain on close. */
export function serverOptions(opts: { logLevel: string; bodyLimit: number; logger?: boolean }): FastifyServerOptions {
  return {
    logger: opts.logger === false ? false : loggerOptions(opts.logLevel),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimit,
    // drainOnClosePlugin answers those requests with a coded 503 instead.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
  };
}
