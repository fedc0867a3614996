import { randomBytes } from 'node:crypto';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { commandsStreamConfig, natsNames, newId, type StoreCommand } from '@stocksync/shared';
import { deleteStreams } from '@stocksync/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedStock, uniqueSku } from './support/factories';
import { createTestStore, type TestStore } from './support/test-store';

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/**
 * A store applies central's commands strictly in order: one in flight, so a command that is redelivered
 * (it failed, or the store died before committing it) is never overtaken by the next one.
 */
describe("the store's command consumer", () => {
  const prefix = `cc${randomBytes(4).toString('hex')}`;
  const names = natsNames(prefix);
  let nc: NatsConnection;
  let store: TestStore;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    // A durable consumer as an older store node created it: the server's default max_ack_pending.
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add(commandsStreamConfig(names));
    await jsm.consumers.add(names.commandsStream, {
      durable_name: names.commandsDurable('c1'),
      filter_subject: names.commandsSubject('c1'),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
    });
    store = await createTestStore({ env: { SYNC_ENABLED: 'true', NATS_URL, NATS_PREFIX: prefix, STORE_ID: 'c1' } });
  });
  afterAll(async () => {
    await store?.close();
    await deleteStreams(nc, [names.commandsStream, names.eventsStream]);
    await nc?.close();
  });

  it('keeps one command in flight (an older consumer is updated) and applies request then cancel', async () => {
    const jsm = await jetstreamManager(nc);
    const maxAckPending = async () =>
      (await jsm.consumers.info(names.commandsStream, names.commandsDurable('c1'))).config.max_ack_pending;
    const deadline = Date.now() + 15_000;
    while ((await maxAckPending()) !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await maxAckPending()).toBe(1);

    const sku = uniqueSku();
    await seedStock(store.app, [{ sku, onHand: 10 }]);
    const transferId = newId();
    const issuedAt = new Date().toISOString();
    const commands: StoreCommand[] = [
      {
        type: 'transfer.requested',
        id: newId(),
        transferId,
        sku,
        qty: 2,
        fromStoreId: 'c1',
        toStoreId: 'c2',
        issuedAt,
      },
      { type: 'transfer.cancelled', id: newId(), transferId, issuedAt },
    ];
    const js = jetstream(nc);
    for (const c of commands) await js.publish(names.commandsSubject('c1'), JSON.stringify(c), { msgID: c.id });
    const status = async () => (await store.request({ method: 'GET', url: `/transfers/${transferId}` })).json().status;
    while ((await status()) !== 'cancelled' && Date.now() < deadline + 15_000)
      await new Promise((r) => setTimeout(r, 100));
    expect(await status()).toBe('cancelled');
  });
});
