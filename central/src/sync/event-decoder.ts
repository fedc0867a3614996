import { parseStockEvent, type StockEvent } from '@stocksync/shared';
import type { PoisonMessage } from '../domain/apply-batch';

export type Decoded = { event: StockEvent } | { poison: PoisonMessage };
/** The part of a NATS message the decoder reads (JsMsg satisfies it). */
export type RawMessage = { subject: string; json: () => unknown; string: () => string };

const MAX_POISON_TEXT = 4096;

function poison(storeId: string, reason: PoisonMessage['reason'], detail: string, payload: unknown): Decoded {
  const fields = (payload ?? {}) as Record<string, unknown>;
  const text = (key: string) => (typeof fields[key] === 'string' ? (fields[key] as string).slice(0, 128) : null);
  return {
    poison: {
      storeId,
      reason,
      detail: detail.slice(0, 500),
      payload,
      seq: Number.isSafeInteger(fields.seq) ? (fields.seq as number) : null,
      eventId: text('id'),
      eventHash: text('hash'),
    },
  };
}

/**
 * Turns a message on `<prefix>inv.events.<storeId>` into a validated event, or into a poison record
 * (not JSON, not a valid envelope, or an event of another store than the subject names).
 */
export function decodeEventMessage(msg: RawMessage, subjectPrefix: string): Decoded {
  const subjectStore = msg.subject.startsWith(subjectPrefix) ? msg.subject.slice(subjectPrefix.length) : msg.subject;
  const storeId = subjectStore.slice(0, 64);
  let raw: unknown;
  try {
    raw = msg.json();
  } catch {
    return poison(storeId, 'invalid-payload', 'payload is not JSON', { text: msg.string().slice(0, MAX_POISON_TEXT) });
  }
  let event: StockEvent;
  try {
    event = parseStockEvent(raw);
  } catch (err) {
    return poison(storeId, 'invalid-payload', (err as Error).message, raw);
  }
  // A store's credentials only allow its own subject, so the subject is the authority on who sent it.
  if (event.storeId !== subjectStore) {
    return poison(storeId, 'subject-mismatch', `event of store ${event.storeId} on subject ${msg.subject}`, raw);
  }
  return { event };
}
