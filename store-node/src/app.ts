import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import {
  authPlugin,
  drainOnClosePlugin,
  errorHandlerPlugin,
  observabilityPlugin,
  serverOptions,
} from '@stocksync/shared/service';
import Fastify, { type FastifyInstance } from 'fastify';
import { type StoreConfig, storeTokens } from './config/config';
import { configPlugin } from './config/config-plugin';
import { dbPlugin } from './db/db-plugin';
import type { Clock } from './domain/clock';
import { domainPlugin } from './domain/domain-plugin';
import { healthRoutes } from './routes/health/health-routes';
import { movementRoutes } from './routes/movements/movement-routes';
import { productRoutes } from './routes/products/product-routes';
import { reservationRoutes } from './routes/reservations/reservation-routes';
import { stockRoutes } from './routes/stock/stock-routes';
import { syncRoutes } from './routes/sync/sync-routes';
import { transferRoutes } from './routes/transfers/transfer-routes';
import { syncPlugin } from './sync/sync-plugin';

export type BuildOptions = { clock?: Clock; logger?: boolean };

/** The store node: infrastructure (config, db, metrics) → domain (repositories, services, sync) → routes. */
export async function buildStoreApp(config: StoreConfig, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify(
    serverOptions({ logLevel: config.LOG_LEVEL, bodyLimit: config.BODY_LIMIT_BYTES, logger: opts.logger }),
  ).setValidatorCompiler(TypeBoxValidatorCompiler);

  // Infrastructure
  await app.register(configPlugin, { config });
  await app.register(errorHandlerPlugin);
  await app.register(drainOnClosePlugin);
  await app.register(observabilityPlugin, { service: 'store-node' });
  await app.register(authPlugin, { tokens: storeTokens(config) });
  await app.register(dbPlugin);
  await app.register(swagger, {
    openapi: {
      info: { title: `Stocksync store node ${config.STORE_ID}`, version: '1.0.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  // The docs are public like /health (DESIGN §7): mark every route of the UI plugin as such.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, public: true };
    });
    await docs.register(swaggerUi, { routePrefix: '/docs', uiHooks: {}, staticCSP: true });
  });

  // Domain
  await app.register(domainPlugin, { clock: opts.clock });
  await app.register(syncPlugin);

  // Routes
  for (const routes of [
    healthRoutes,
    stockRoutes,
    productRoutes,
    movementRoutes,
    reservationRoutes,
    syncRoutes,
    transferRoutes,
  ]) {
    await app.register(routes);
  }
  return app;
}
