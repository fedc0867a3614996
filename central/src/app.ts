import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  authPlugin,
  drainOnClosePlugin,
  errorHandlerPlugin,
  observabilityPlugin,
  serverOptions,
  validatorCompiler,
} from '@stocksync/shared/service';
import Fastify, { type FastifyInstance } from 'fastify';
import { catalogPlugin } from './catalog/catalog-plugin';
import { commandRelayPlugin } from './commands/command-relay-plugin';
import { type CentralConfig, centralTokens } from './config/config';
import { configPlugin } from './config/config-plugin';
import { classifyDatabaseError } from './db/database-unavailable';
import { dbPlugin } from './db/db-plugin';
import { alertsPlugin } from './domain/alerts-plugin';
import { reservationsPlugin } from './domain/reservations-plugin';
import { transfersPlugin } from './domain/transfers-plugin';
import { rateLimitPlugin } from './infra/rate-limit-plugin';
import { redisPlugin } from './redis/redis-plugin';
import { docsPlugin } from './routes/docs-plugin';
import { routes } from './routes/index';
import { natsPlugin } from './sync/nats-plugin';
import { type SyncPluginOptions, syncPlugin } from './sync/sync-plugin';

export type BuildOptions = { sync?: SyncPluginOptions };

/**
 * Builds central in three stages: infrastructure (config, errors, metrics, auth, db, nats) → domain
 * (apply consumer, gap repair, heartbeats) → routes. Nothing listens until the caller does.
 */
export async function buildApp(config: CentralConfig, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...serverOptions({ logLevel: config.LOG_LEVEL, bodyLimit: 256 * 1024 }),
    // PGlite's WASM start-up plus migrations can take seconds on a cold, busy machine.
    pluginTimeout: 60_000,
  })
    // Unknown fields rejected (DESIGN §7); JSON bodies are not coerced, querystrings are.
    .setValidatorCompiler(validatorCompiler)
    .withTypeProvider<TypeBoxTypeProvider>();

  app.register(configPlugin, { config });
  app.register(errorHandlerPlugin, { classify: classifyDatabaseError });
  app.register(drainOnClosePlugin);
  app.register(observabilityPlugin, { service: 'central' });
  const tokens = centralTokens(config);
  app.register(rateLimitPlugin, { perMinute: config.RATE_LIMIT_PER_MINUTE, tokens: tokens.map((t) => t.token) });
  app.register(authPlugin, { tokens });
  app.register(dbPlugin);
  app.register(natsPlugin);
  app.register(redisPlugin);

  app.register(syncPlugin, options.sync ?? {});
  app.register(reservationsPlugin);
  app.register(alertsPlugin);
  app.register(catalogPlugin);
  app.register(commandRelayPlugin, { enabled: options.sync?.enabled });
  app.register(transfersPlugin);

  app.register(docsPlugin);
  app.register(routes);
  return app;
}
