import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { Gauge } from 'prom-client';

const Check = Type.Union([Type.Literal('ok'), Type.Literal('down')]);
const HealthSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  checks: Type.Object({ db: Check, nats: Check }),
  driver: Type.Union([Type.Literal('postgres'), Type.Literal('pglite')]),
});

const CHECK_TIMEOUT_MS = 2000;

async function probe(check: () => Promise<unknown>): Promise<'ok' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'ok';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/** Whether the database and NATS answer now, each within CHECK_TIMEOUT_MS. */
async function checkDependencies(app: FastifyInstance) {
  const [db, nats] = await Promise.all([
    probe(() => app.db.execute(sql`select 1`)),
    probe(async () => {
      // Undefined before the first connection and while the client reconnects.
      const nc = app.nats.clients?.nc;
      if (!nc || nc.isClosed()) throw new Error('not connected');
      await nc.flush();
    }),
  ]);
  return { db, nats };
}

/** Liveness + dependencies for load balancers: 200 when the database and NATS answer, else 503. */
export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // The same checks for Prometheus, which cannot alert on a JSON body: probed at each scrape.
  new Gauge({
    name: 'central_dependency_up',
    help: "1 while this replica's database (db) or NATS (nats) answers, as in GET /health, else 0",
    labelNames: ['dependency'] as const,
    registers: [app.metrics],
    async collect() {
      for (const [dependency, state] of Object.entries(await checkDependencies(app))) {
        this.set({ dependency }, state === 'ok' ? 1 : 0);
      }
    },
  });

  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['ops'],
        summary: 'Health of central and its dependencies',
        response: { 200: HealthSchema, 503: HealthSchema },
      },
    },
    async (_request, reply) => {
      const { db, nats } = await checkDependencies(app);
      const ok = db === 'ok' && nats === 'ok';
      return reply
        .status(ok ? 200 : 503)
        .send({ status: ok ? 'ok' : 'degraded', checks: { db, nats }, driver: app.dbDriver });
    },
  );
};
