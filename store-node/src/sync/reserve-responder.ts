import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  compileValidator,
  DomainError,
  type NatsNames,
  type ReserveReply,
  ReserveRequestSchema,
} from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { ChainHead } from '../db/repositories/ledger-repository';
import type { WriteQueue } from '../db/write-queue';
import type { ReservationService } from '../domain/reservation-service';

const reserveRequest = compileValidator(ReserveRequestSchema);

/**
 * Online reservations from central (CP, DESIGN §3): the hold goes through the same write queue as
 * POS holds, and the reply is sent only once it is durable, so central never confirms a hold the
 * store could lose. The reservation id comes from central, so a retried request finds its hold.
 */
export function startReserveResponder(
  nc: NatsConnection,
  deps: {
    names: NatsNames;
    storeId: string;
    writes: WriteQueue<ChainHead>;
    reservations: ReservationService;
    log: FastifyBaseLogger;
  },
): Subscription {
  return nc.subscribe(deps.names.reserveSubject(deps.storeId), {
    callback: (err, msg) => {
      if (err) return;
      let reply: Promise<ReserveReply>;
      try {
        const request = reserveRequest.parse(msg.json());
        reply = deps.writes
          .submit(() => {
            if (request.op === 'hold') {
              return deps.reservations.hold({
                id: request.reservationId,
                sku: request.sku,
                qty: request.qty,
                ttlSeconds: request.ttlSeconds,
                orderRef: request.orderRef,
                source: 'central',
              });
            }
            return deps.reservations[request.op](request.reservationId);
          })
          .then(
            (r): ReserveReply => ({
              ok: true,
              reservation: { id: r.id, sku: r.sku, qty: r.qty, status: r.status, expiresAt: r.expiresAt },
            }),
            (error: unknown): ReserveReply => {
              if (error instanceof DomainError) return { ok: false, code: error.code, message: error.message };
              deps.log.error({ err: error }, 'reserve request failed');
              return { ok: false, code: 'INTERNAL', message: 'store failed to record the request' };
            },
          );
      } catch (error) {
        reply = Promise.resolve({ ok: false, code: 'VALIDATION', message: (error as Error).message });
      }
      void reply.then((r) => msg.respond(JSON.stringify(r)));
    },
  });
}
