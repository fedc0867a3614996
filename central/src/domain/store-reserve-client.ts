import { RequestError, TimeoutError } from '@nats-io/transport-node';
import {
  compileValidator,
  MAX_HOLDS_PER_REQUEST,
  type ReserveHold,
  ReserveHoldsReplySchema,
  type ReserveReply,
  ReserveReplySchema,
  type ReserveRequest,
} from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';
import { TurnBatcher } from '../infra/turn-batcher';
import type { NatsLink } from '../sync/nats-link';

const reserveReply = compileValidator(ReserveReplySchema);
const holdsReply = compileValidator(ReserveHoldsReplySchema);

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

const toAnswer = (reply: ReserveReply): StoreAnswer =>
  reply.ok
    ? { kind: 'recorded', reservation: reply.reservation }
    : { kind: 'refused', code: reply.code, message: reply.message };

/** Central → store core request/reply on `inv.rpc.<storeId>.reserve` (DESIGN §3, CP). */
export function createStoreReserveClient(deps: { nats: NatsLink; timeoutMs: number; log: FastifyBaseLogger }) {
  const { nats, timeoutMs, log } = deps;

  /** The raw reply, or why there is none. */
  async function request(
    storeId: string,
    body: ReserveRequest,
    timeout: number,
  ): Promise<{ raw: unknown } | Extract<StoreAnswer, { kind: 'unavailable' }>> {
    const nc = nats.clients?.nc;
    // Not sent at all, so the store cannot have acted on it.
    if (!nc) return { kind: 'unavailable', maybeDelivered: false, reason: 'NATS unreachable' };
    try {
      const msg = await nc.request(nats.names.reserveSubject(storeId), JSON.stringify(body), { timeout });
      return { raw: msg.json() };
    } catch (error) {
      if (error instanceof RequestError && error.isNoResponders()) {
        return { kind: 'unavailable', maybeDelivered: false, reason: 'no responders' };
      }
      const reason = error instanceof TimeoutError ? `no answer within ${timeout} ms` : (error as Error).message;
      return { kind: 'unavailable', maybeDelivered: true, reason };
    }
  }

  const malformed = (storeId: string, error: unknown): StoreAnswer => {
    log.error({ err: (error as Error).message, storeId }, 'malformed reserve reply');
    return { kind: 'unavailable', maybeDelivered: true, reason: 'malformed reply' };
  };

  /** confirm / cancel of one reservation. */
  async function send(storeId: string, body: ReserveRequest, timeout = timeoutMs): Promise<StoreAnswer> {
    const sent = await request(storeId, body, timeout);
    if (!('raw' in sent)) return sent;
    try {
      return toAnswer(reserveReply.parse(sent.raw));
    } catch (error) {
      return malformed(storeId, error);
    }
  }

  async function sendHoldsNow(storeId: string, holds: ReserveHold[]): Promise<StoreAnswer[]> {
    const sent = await request(storeId, { op: 'holds', holds }, timeoutMs);
    let answer: StoreAnswer;
    if (!('raw' in sent)) answer = sent;
    else {
      try {
        const reply = holdsReply.parse(sent.raw);
        if (!reply.ok) answer = toAnswer(reply);
        else if (reply.results.length === holds.length) return reply.results.map(toAnswer);
        else answer = malformed(storeId, new Error(`${reply.results.length} answers to ${holds.length} holds`));
      } catch (error) {
        answer = malformed(storeId, error);
      }
    }
    return holds.map(() => answer);
  }

  // Holds for one store asked for in the same turn (several SKUs, each under its own lock) share a request.
  const holdRequests = new TurnBatcher<ReserveHold, StoreAnswer>(sendHoldsNow, MAX_HOLDS_PER_REQUEST);

  /** Several holds in one request (one group commit at the store): one answer per hold, in order. */
  const sendHolds = (storeId: string, holds: ReserveHold[]): Promise<StoreAnswer[]> => holdRequests.run(storeId, holds);

  /** False while NATS is down: no store can be asked, so callers answer 503 before changing anything. */
  const reachable = (): boolean => nats.clients !== undefined;

  return { send, sendHolds, reachable };
}
export type StoreReserveClient = ReturnType<typeof createStoreReserveClient>;
