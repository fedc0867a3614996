import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  compileValidator,
  DomainError,
  type NatsNames,
  type ReserveHoldsReply,
  type ReserveReply,
  ReserveRequestSchema,
} from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { ChainHead } from '../db/repositories/ledger-repository';
import type { WriteQueue } from '../db/write-queue';
import type { ReservationService, ReservationView } from '../domain/reservation-service';

const reserveRequest = compileValidator(ReserveRequestSchema);

/**
 * Online reservations from central (CP, DESIGN §3): holds go through the same write queue as POS
 * holds, and the reply is sent only once they are durable, so central never confirms a hold the
 * store could lose. The reservation ids come from central, so a retried request finds its holds.
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
  const toReply = (job: Promise<ReservationView>): Promise<ReserveReply> =>
    job.then(
      (r) => ({
        ok: true,
        reservation: { id: r.id, sku: r.sku, qty: r.qty, status: r.status, expiresAt: r.expiresAt },
      }),
      (error: unknown) => {
        if (error instanceof DomainError) return { ok: false, code: error.code, message: error.message };
        deps.log.error({ err: error }, 'reserve request failed');
        return { ok: false, code: 'INTERNAL', message: 'store failed to record the request' };
      },
    );

  return nc.subscribe(deps.names.reserveSubject(deps.storeId), {
    callback: (err, msg) => {
      if (err) return;
      let reply: Promise<ReserveReply | ReserveHoldsReply>;
      try {
        const request = reserveRequest.parse(msg.json());
        if (request.op === 'holds') {
          // One job per hold, all submitted in this turn: one group commit and one fsync for the
          // batch, yet each hold succeeds or is refused on its own (its own savepoint).
          const jobs = request.holds.map((h) =>
            toReply(
              deps.writes.submit(() =>
                deps.reservations.hold({
                  id: h.reservationId,
                  sku: h.sku,
                  qty: h.qty,
                  ttlSeconds: h.ttlSeconds,
                  orderRef: h.orderRef,
                  source: 'central',
                }),
              ),
            ),
          );
          reply = Promise.all(jobs).then((results) => ({ ok: true, results }));
        } else {
          reply = toReply(deps.writes.submit(() => deps.reservations[request.op](request.reservationId)));
        }
      } catch (error) {
        reply = Promise.resolve({ ok: false, code: 'VALIDATION', message: (error as Error).message });
      }
      void reply.then((r) => msg.respond(JSON.stringify(r)));
    },
  });
}
