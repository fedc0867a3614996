import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { eventsStreamConfig, natsConnectOptions, natsNames } from '@stocksync/shared';
import { CENTRAL_SERVER, ServiceProcess, STORE_SERVER, TestNatsServer } from '@stocksync/shared/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedStore } from '../../store-node/src/seed-store';
import { eventually, http } from './helpers/http-client';

const DEPLOY_CONF = fileURLToPath(new URL('../../deploy/nats/nats-server.conf', import.meta.url));
const PASSWORDS = { central: `c-${randomBytes(6).toString('hex')}`, s1: `p1-${randomBytes(6).toString('hex')}` };
const ADMIN = 'admin-token-permissions';
const STORE_TOKEN = 'store-token-permissions';
const PG = 'postgres://postgres@127.0.0.1:5432';

/**
 * The deploy config with its permission blocks untouched; only the port and JetStream store directory
 * are left to the test server's command line (nats-server refuses both in the file and on the line).
 */
function testConfig(dir: string): string {
  const conf = readFileSync(DEPLOY_CONF, 'utf8')
    .replace(/^port: .*$/m, '')
    .replace(/^jetstream \{[^}]*\}/m, 'jetstream: enabled');
  const path = join(dir, 'nats-server.conf');
  writeFileSync(path, conf);
  return path;
}

describe('per-store NATS credentials (deploy/nats/nats-server.conf)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stocksync-nats-perm-'));
  const database = `perm_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${PG}/postgres` });
  const names = natsNames('');
  let nats: TestNatsServer;
  let central: ServiceProcess | undefined;
  let store: ServiceProcess | undefined;
  let asCentral: NatsConnection;
  let asS1: NatsConnection;
  const url = (user: string, password: string) => `nats://${user}:${password}@127.0.0.1:${nats.port}`;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`create database ${database}`);
    // nats-server resolves $NATS_*_PASSWORD from its environment (inherited from this process).
    Object.assign(process.env, {
      NATS_CENTRAL_PASSWORD: PASSWORDS.central,
      NATS_S1_PASSWORD: PASSWORDS.s1,
      NATS_S2_PASSWORD: `p2-${randomBytes(6).toString('hex')}`,
      NATS_S3_PASSWORD: `p3-${randomBytes(6).toString('hex')}`,
    });
    nats = await TestNatsServer.start(['-c', testConfig(dir)]);
    asCentral = await connect(natsConnectOptions(url('central', PASSWORDS.central)));
    await (await jetstreamManager(asCentral)).streams.add(eventsStreamConfig(names));
    asS1 = await connect({ ...natsConnectOptions(url('s1', PASSWORDS.s1)), inboxPrefix: '_INBOX.s1' });
  });
  afterAll(async () => {
    await Promise.allSettled([store?.stop(), central?.stop()]);
    await asS1?.close();
    await asCentral?.close();
    await nats?.stop();
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a wrong password', async () => {
    await expect(connect({ ...natsConnectOptions(url('s1', 'wrong-password')), reconnect: false })).rejects.toThrow(
      /authorization/i,
    );
  });

  it('lets s1 publish its own events but not another store’s, nor create streams or read others’ subjects', async () => {
    const jsm = await jetstreamManager(asCentral);
    const js = jetstream(asS1, { timeout: 1_500 });
    const own = await js.publish(names.eventsSubject('s1'), '{"probe":1}', { msgID: 'perm-own-1' });
    expect(own.stream).toBe(names.eventsStream);

    await expect(js.publish(names.eventsSubject('s2'), '{"probe":2}', { msgID: 'perm-other-1' })).rejects.toThrow();
    // Core publish too: the server drops it, so the stream never holds it.
    asS1.publish(names.eventsSubject('s2'), '{"probe":3}');
    await asS1.flush();
    const info = await jsm.streams.info(names.eventsStream, { subjects_filter: '>' });
    expect(info.state.subjects).toEqual({ [names.eventsSubject('s1')]: 1 });

    const s1m = await jetstreamManager(asS1, { timeout: 1_500 });
    await expect(s1m.streams.add({ name: 'ROGUE', subjects: ['rogue.>'] })).rejects.toThrow();
    await expect(s1m.streams.delete(names.eventsStream)).rejects.toThrow();
    expect((await jsm.streams.info(names.eventsStream)).state.messages).toBe(1);

    // Subscribing to another store's requests (or every event) is refused by the server.
    const denied = asS1.subscribe(names.reserveSubject('s2'));
    await expect(denied.closed).resolves.toBeInstanceOf(Error);
  });

  it('a real store node with s1’s credentials syncs with central, follows the catalog and its settings', async () => {
    central = await ServiceProcess.start('central', CENTRAL_SERVER, {
      NATS_URL: url('central', PASSWORDS.central),
      DATABASE_URL: `${PG}/${database}`,
      DATA_DIR: join(dir, 'central'),
      HQ_ADMIN_TOKEN: ADMIN,
      HQ_VIEWER_TOKEN: 'viewer-token-permissions',
      LOG_LEVEL: 'warn',
      CATALOG_PUBLISH_INTERVAL_MS: '500',
    });
    const hq = (method: string, path: string, body?: unknown) => http(central!.url, ADMIN, method, path, body);
    expect((await hq('POST', '/products', { sku: 'PERM-1', name: 'Perm', price: '2.50' })).status).toBe(201);
    expect((await hq('PUT', '/stores/s1/min-stock/PERM-1', { minStock: 4 })).status).toBe(200);

    const dataDir = join(dir, 's1');
    await seedStore({
      dataDir,
      storeId: 's1',
      products: [{ sku: 'PERM-1', name: 'seeded', price: '1.00' }],
      openingStock: () => 10,
    });
    store = await ServiceProcess.start('s1', STORE_SERVER, {
      NATS_URL: url('s1', PASSWORDS.s1),
      STORE_ID: 's1',
      STORE_TOKEN,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    });
    const at = <T>(method: string, path: string, body?: unknown) =>
      http<T>(store!.url, STORE_TOKEN, method, path, body);
    expect((await at('POST', '/sales', { lines: [{ sku: 'PERM-1', qty: 3 }] })).status).toBe(201);

    const db = new pg.Client({ connectionString: `${PG}/${database}` });
    await db.connect();
    try {
      const row = await eventually(
        'central applies s1',
        async () =>
          (
            await db.query<{ on_hand: number; last_seq: string; contact: boolean }>(
              `select s.on_hand, st.last_seq, st.last_contact_at is not null as contact
               from stock s join stores st using (store_id) where s.store_id = 's1' and s.sku = 'PERM-1'`,
            )
          ).rows[0],
        (r) => r?.on_hand === 7 && r.contact,
      );
      const sync = await at<{ lastSeq: number; pending: number }>('GET', '/sync');
      expect(Number(row?.last_seq)).toBe(sync.body.lastSeq);
      expect(sync.body.pending).toBe(0);
    } finally {
      await db.end();
    }
    await eventually(
      'catalog and min stock at s1',
      async () => ({
        name: (await at<{ name: string }>('GET', '/products/PERM-1')).body.name,
        min: (await at<{ minStock: number }>('GET', '/stock/PERM-1')).body.minStock,
      }),
      (v) => v.name === 'Perm' && v.min === 4,
    );
    // Its durable command consumer exists (created by s1 itself, on its own filter subject).
    const jsm = await jetstreamManager(asCentral);
    const consumer = await eventually(
      's1 command consumer',
      () => jsm.consumers.info(names.commandsStream, names.commandsDurable('s1')).catch(() => null),
      (info) => info !== null,
    );
    expect(consumer?.config.filter_subject).toBe(names.commandsSubject('s1'));
    // s1 may watch only its own settings keys.
    const kv = await new Kvm(jetstream(asS1, { timeout: 1_500 })).open(names.storeSettingsBucket);
    await expect(kv.watch({ key: 's2.>' })).rejects.toThrow();
  });
});
