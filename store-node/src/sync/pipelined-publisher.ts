import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';

export type OutboxMessage = { seq: number; eventId: string; payload: string };

/** How far a batch got: every message up to `upTo` (0: none) was stored by JetStream, in order. */
export type BatchOutcome = { upTo: number; failure?: Error };

type Batch = {
  id: number;
  acks: Array<boolean | undefined>;
  remaining: number;
  failure?: Error;
  done: () => void;
};

/**
 * JetStream publishing of a whole outbox batch as plain NATS publishes with a reply subject each, and
 * ONE subscription and ONE timer for the batch's PubAcks. `js.publish` builds a request, a timer and a
 * promise per message, which made the publisher thread cost as much CPU as the POS sales it ships.
 * Same protocol on the wire: the stream answers each message on its reply subject with a PubAck (or an
 * error), and a missing stream answers 503 "no responders". Msg-Id headers keep JetStream's dedup.
 */
export class PipelinedPublisher {
  private readonly inbox: string;
  private readonly sub: Subscription;
  private batch: Batch | undefined;
  private nextId = 1;

  constructor(
    private readonly conn: NatsConnection,
    private readonly subject: string,
    inboxPrefix: string,
  ) {
    this.inbox = createInbox(inboxPrefix);
    this.sub = conn.subscribe(`${this.inbox}.>`, { callback: (_err, msg) => this.onReply(msg) });
  }

  /** Publishes `rows` (one batch at a time) and resolves once every PubAck is in or `timeoutMs` passed. */
  publish(rows: readonly OutboxMessage[], timeoutMs: number): Promise<BatchOutcome> {
    if (this.batch) return Promise.reject(new Error('a batch is already in flight'));
    if (rows.length === 0) return Promise.resolve({ upTo: 0 });
    return new Promise<BatchOutcome>((resolve) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        batch.failure ??= new Error(`no PubAck within ${timeoutMs} ms`);
        batch.done();
      }, timeoutMs);
      const batch: Batch = {
        id,
        acks: new Array(rows.length),
        remaining: rows.length,
        done: () => {
          clearTimeout(timer);
          this.batch = undefined;
          let upTo = 0;
          for (const [i, acked] of batch.acks.entries()) {
            if (acked !== true) break;
            upTo = rows[i]!.seq;
          }
          const failure = upTo === rows.at(-1)!.seq ? undefined : (batch.failure ?? new Error('PubAck missing'));
          resolve(failure ? { upTo, failure } : { upTo });
        },
      };
      this.batch = batch;
      try {
        for (const [i, row] of rows.entries()) {
          const h = headers();
          h.set('Nats-Msg-Id', row.eventId);
          this.conn.publish(this.subject, row.payload, { reply: `${this.inbox}.${id}.${i}`, headers: h });
        }
      } catch (error) {
        // e.g. the connection closed while the batch was going out: whatever was acked still counts.
        batch.failure = error instanceof Error ? error : new Error(String(error));
        batch.done();
      }
    });
  }

  close(): void {
    this.sub.unsubscribe();
  }

  private onReply(msg: Msg): void {
    const batch = this.batch;
    const [batchId, index] = msg.subject.slice(this.inbox.length + 1).split('.');
    if (!batch || Number(batchId) !== batch.id) return; // a late answer to a batch that timed out
    const i = Number(index);
    if (!(i >= 0 && i < batch.acks.length) || batch.acks[i] !== undefined) return;
    const error = pubAckError(msg);
    batch.acks[i] = error === undefined;
    if (error) batch.failure ??= error;
    if (--batch.remaining === 0) batch.done();
  }
}

function pubAckError(msg: Msg): Error | undefined {
  if (msg.data.length === 0 && msg.headers?.code === 503) return new Error('no stream answers (503 no responders)');
  try {
    const ack = msg.json<{ stream?: string; error?: { description?: string } }>();
    if (ack.error) return new Error(`JetStream refused: ${ack.error.description ?? 'unknown error'}`);
    if (!ack.stream) return new Error('invalid PubAck');
    return undefined;
  } catch {
    return new Error('unreadable PubAck');
  }
}
