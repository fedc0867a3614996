import type { Subscription } from '@nats-io/transport-node';
import { compileValidator, type HeartbeatReply, HeartbeatSchema, StoreIdSchema } from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/database';
import { createStoresRepository } from '../db/stores-repository';
import type { NatsLink } from './nats-link';
import type { StoreClocks } from './store-clocks';
import type { SyncMetrics } from './sync-metrics';

const heartbeatValidator = compileValidator(HeartbeatSchema);
const storeIdValidator = compileValidator(StoreIdSchema);

/**
 * Core-NATS heartbeats (not JetStream: only the latest matters): last contact, outbox depth and age of
 * the oldest unsent event per store, shown by GET /sync. A heartbeat sent as a request is answered with
 * central's apply cursor for that store. Subscribed on each new NATS connection.
 */
export function subscribeHeartbeats(opts: {
  nats: NatsLink;
  db: Database;
  log: FastifyBaseLogger;
  metrics: SyncMetrics;
  clocks: StoreClocks;
}): { unsubscribe: () => void } {
  const storesRepo = createStoresRepository(opts.db);
  const { names } = opts.nats;
  const prefix = names.heartbeatSubject('');
  let sub: Subscription | undefined;
  const off = opts.nats.onConnect(({ nc }) => {
    sub = nc.subscribe(names.heartbeatWildcard, {
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
        opts.clocks.report(storeId, body.clockOffsetMs);
        storesRepo
          .recordHeartbeat(storeId, body, new Date())
          .then((lastSeq) => {
            // A store sends its heartbeat as a request and compares this with its own head.
            if (msg.reply)
              msg.respond(JSON.stringify({ lastSeq, centralTime: new Date().toISOString() } satisfies HeartbeatReply));
          })
          .catch((error: unknown) => opts.log.warn({ err: error, storeId }, 'heartbeat not recorded'));
      },
    });
  });
  return {
    unsubscribe: () => {
      off();
      sub?.unsubscribe();
    },
  };
}
