import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type NatsNames, natsNames, type ResendRequest, type StockEvent } from '@stocksync/shared';
import { ensureEventsStream } from '../../src/sync/event-stream';
import { NATS_URL } from './test-env';

export type TestNats = { nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager; names: NatsNames };

/** The test's own connection, with the events stream ensured so publishing never races central start-up. */
export async function testNats(prefix: string, url = NATS_URL): Promise<TestNats> {
  const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  const jsm = await jetstreamManager(nc);
  const names = natsNames(prefix);
  await ensureEventsStream(jsm, names);
  return { nc, js: jetstream(nc), jsm, names };
}

/** Publishes like a store's outbox relay: in order, pipelined, msgID = event id unless told otherwise. */
export async function publishEvents(
  t: TestNats,
  events: readonly unknown[],
  opts: {
    msgId?: (event: StockEvent, index: number) => string | undefined;
    subject?: (event: StockEvent) => string;
  } = {},
): Promise<{ duplicates: number }> {
  let duplicates = 0;
  const WINDOW = 500;
  for (let i = 0; i < events.length; i += WINDOW) {
    const acks = await Promise.all(
      events.slice(i, i + WINDOW).map((raw, j) => {
        const event = raw as StockEvent;
        const msgID = opts.msgId ? opts.msgId(event, i + j) : event.id;
        const subject = opts.subject ? opts.subject(event) : t.names.eventsSubject(event.storeId);
        const payload = typeof raw === 'string' ? raw : JSON.stringify(raw);
        return t.js.publish(subject, payload, msgID ? { msgID } : {});
      }),
    );
    duplicates += acks.filter((a) => a.duplicate).length;
  }
  return { duplicates };
}

/**
 * Stands in for a store node's resend handler: answers ResendRequest by republishing its events in the
 * requested range (with a fresh msgID, as a store must when the stream may hold a corrupted copy).
 */
export function startResendResponder(t: TestNats, storeId: string, events: () => readonly StockEvent[]) {
  const requests: ResendRequest[] = [];
  let round = 0;
  const sub = t.nc.subscribe(t.names.resendSubject(storeId), {
    callback: (_err, msg) => {
      const request = msg.json<ResendRequest>();
      requests.push(request);
      round += 1;
      const all = events();
      const range = all.filter(
        (e) => e.seq >= request.fromSeq && (request.toSeq === undefined || e.seq <= request.toSeq),
      );
      void publishEvents(t, range, { msgId: (e) => `${e.id}-resend-${round}` }).then(() =>
        msg.respond(JSON.stringify({ republished: range.length, lastSeq: all.at(-1)?.seq ?? 0 })),
      );
    },
  });
  return { requests, stop: () => sub.unsubscribe() };
}

/** Every message of the stream was delivered to central's durable consumer and acknowledged. */
export async function consumerDrained(t: TestNats): Promise<boolean> {
  const info = await t.jsm.consumers.info(t.names.eventsStream, t.names.centralDurable);
  return info.num_pending === 0 && info.num_ack_pending === 0;
}
