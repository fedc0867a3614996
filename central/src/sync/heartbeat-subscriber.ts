import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { compileValidator, HeartbeatSchema, type NatsNames, StoreIdSchema } from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/database';
import { createStoresRepository } from '../db/stores-repository';
import type { SyncMetrics } from './sync-metrics';

const heartbeatValidator = compileValidator(HeartbeatSchema);
const storeIdValidator = compileValidator(StoreIdSchema);

/**
 * Core-NATS heartbeats (not JetStream: only the latest matters): last contact, outbox depth and age of
 * the oldest unsent event per store, shown by GET /sync.
 */
export function subscribeHeartbeats(opts: {
  nc: NatsConnection;
  names: NatsNames;
  db: Database;
  log: FastifyBaseLogger;
  metrics: SyncMetrics;
}): Subscription {
  const storesRepo = createStoresRepository(opts.db);
  const prefix = opts.names.heartbeatSubject('');
  return opts.nc.subscribe(opts.names.heartbeatWildcard, {
    callback: (err, msg) => {
      if (err) {
        opts.log.warn({ err }, 'heartbeat subscription failed');
        return;
      }
      const storeId = msg.subject.slice(prefix.length);
      let body: unknown;
      try {
        body = msg.json();
      } catch {
        body = undefined;
      }
      // The subject names the sender (per-store credentials); a body claiming another store is ignored.
      if (!storeIdValidator.check(storeId) || !heartbeatValidator.check(body) || body.storeId !== storeId) {
        opts.log.debug({ subject: msg.subject }, 'ignoring malformed heartbeat');
        return;
      }
      opts.metrics.heartbeats.inc();
      storesRepo
        .recordHeartbeat(storeId, body, new Date())
        .catch((error: unknown) => opts.log.warn({ err: error, storeId }, 'heartbeat not recorded'));
    },
  });
}
