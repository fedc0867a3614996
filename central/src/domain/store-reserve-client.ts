import { type NatsConnection, RequestError, TimeoutError } from '@nats-io/transport-node';
import {
  compileValidator,
  type NatsNames,
  type ReserveReply,
  ReserveReplySchema,
  type ReserveRequest,
} from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';

const reserveReply = compileValidator(ReserveReplySchema);

export type StoreReservation = Extract<ReserveReply, { ok: true }>['reservation'];

/**
 * What a store said: `recorded` (durable at the store), `refused` (a business answer, e.g.
 * INSUFFICIENT_STOCK), or `unavailable`. `maybeDelivered` tells whether the store may still have
 * acted on it (a timeout, unlike "no responders", cannot rule that out).
 */
export type StoreAnswer =
  | { kind: 'recorded'; reservation: StoreReservation }
  | { kind: 'refused'; code: string; message: string }
  | { kind: 'unavailable'; maybeDelivered: boolean; reason: string };

/** Central → store core request/reply on `inv.rpc.<storeId>.reserve` (DESIGN §3, CP). */
export function createStoreReserveClient(deps: {
  nc: NatsConnection;
  names: NatsNames;
  timeoutMs: number;
  log: FastifyBaseLogger;
}) {
  const { nc, names, timeoutMs, log } = deps;

  async function send(storeId: string, request: ReserveRequest, timeout = timeoutMs): Promise<StoreAnswer> {
    let raw: unknown;
    try {
      const msg = await nc.request(names.reserveSubject(storeId), JSON.stringify(request), { timeout });
      raw = msg.json();
    } catch (error) {
      if (error instanceof RequestError && error.isNoResponders()) {
        return { kind: 'unavailable', maybeDelivered: false, reason: 'no responders' };
      }
      const reason = error instanceof TimeoutError ? `no answer within ${timeout} ms` : (error as Error).message;
      return { kind: 'unavailable', maybeDelivered: true, reason };
    }
    try {
      const reply = reserveReply.parse(raw);
      if (reply.ok) return { kind: 'recorded', reservation: reply.reservation };
      return { kind: 'refused', code: reply.code, message: reply.message };
    } catch (error) {
      log.error({ err: (error as Error).message, storeId }, 'malformed reserve reply');
      return { kind: 'unavailable', maybeDelivered: true, reason: 'malformed reply' };
    }
  }

  /**
   * After an unanswered hold the store may have recorded it late: release it so nothing stays held.
   * A few tries in the background; the store's TTL is the last resort.
   */
  function cancelInBackground(storeId: string, reservationId: string): void {
    void (async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const answer = await send(storeId, { op: 'cancel', reservationId });
        // NOT_FOUND: the hold never reached the store; anything but "unavailable" is a final answer.
        if (answer.kind !== 'unavailable') return;
        await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
      }
      log.warn({ storeId, reservationId }, 'compensating cancel not confirmed; the store TTL will release the hold');
    })();
  }

  return { send, cancelInBackground };
}
export type StoreReserveClient = ReturnType<typeof createStoreReserveClient>;
