import { randomBytes } from 'node:crypto';
import { DiscardPolicy, type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { deleteStreams, readStream } from '@stocksync/shared/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type OutboxMessage, PipelinedPublisher } from '../src/sync/pipelined-publisher';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** Outbox rows as the store writes them: seq from `from`, JSON payloads, a unique event id each. */
function rows(from: number, count: number): OutboxMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    seq: from + i,
    eventId: `ev-${randomBytes(6).toString('hex')}`,
    payload: JSON.stringify({ seq: from + i }),
  }));
}

describe('pipelined JetStream publisher (real JetStream)', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const streams: string[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
  });
  afterEach(async () => {
    await deleteStreams(nc, streams.splice(0));
  });
  afterAll(async () => {
    await nc.close();
  });

  async function stream(extra: { max_msgs?: number; discard?: DiscardPolicy } = {}) {
    const name = `PIPE_${randomBytes(4).toString('hex')}`;
    const subject = `pipe.${name}`;
    await jsm.streams.add({ name, subjects: [subject], ...extra });
    streams.push(name);
    return { name, subject };
  }

  it('stores a whole batch in order and reports the last seq; a resent batch is deduplicated by Msg-Id', async () => {
    const { name, subject } = await stream();
    const publisher = new PipelinedPublisher(nc, subject, '_INBOX.pipe');
    const batch = rows(1, 500);
    expect(await publisher.publish(batch, 5_000)).toEqual({ upTo: 500 });
    expect(await publisher.publish(batch.slice(0, 100), 5_000)).toEqual({ upTo: 100 });
    const stored = await readStream<{ seq: number }>(nc, name);
    expect(stored.map((m) => m.seq)).toEqual(batch.map((r) => r.seq));
    expect(await publisher.publish(rows(501, 3), 5_000)).toEqual({ upTo: 503 });
    publisher.close();
  });

  it('reports nothing stored when no stream takes the subject', async () => {
    const publisher = new PipelinedPublisher(nc, `pipe.none.${randomBytes(4).toString('hex')}`, '_INBOX.pipe');
    const outcome = await publisher.publish(rows(1, 5), 5_000);
    expect(outcome.upTo).toBe(0);
    expect(outcome.failure?.message).toMatch(/no responders/);
    publisher.close();
  });

  it('stops at the first refused message: what follows it is not counted as stored', async () => {
    const { subject } = await stream({ max_msgs: 3, discard: DiscardPolicy.New });
    const publisher = new PipelinedPublisher(nc, subject, '_INBOX.pipe');
    const outcome = await publisher.publish(rows(10, 6), 5_000);
    expect(outcome.upTo).toBe(12);
    expect(outcome.failure?.message).toMatch(/JetStream refused/);
    publisher.close();
  });

  it('gives up on a batch whose acknowledgements do not come, without blocking the next one', async () => {
    const { subject } = await stream();
    // A subject no stream holds, with a subscriber that swallows every message: no PubAck ever comes.
    const silent = `pipe.silent.${randomBytes(4).toString('hex')}`;
    const sink = nc.subscribe(silent, { callback: () => undefined });
    const publisher = new PipelinedPublisher(nc, silent, '_INBOX.pipe');
    const outcome = await publisher.publish(rows(1, 3), 200);
    expect(outcome).toMatchObject({ upTo: 0 });
    expect(outcome.failure?.message).toMatch(/no PubAck within 200 ms/);
    sink.unsubscribe();
    const next = new PipelinedPublisher(nc, subject, '_INBOX.pipe');
    expect(await next.publish(rows(1, 2), 5_000)).toEqual({ upTo: 2 });
    publisher.close();
    next.close();
  });
});
