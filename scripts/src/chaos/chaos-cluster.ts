import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CENTRAL_SERVER,
  ServiceProcess,
  STORE_SERVER,
  TestNatsServer,
  TestPostgresServer,
  TestRedisServer,
} from '@stocksync/shared/testing';
import pg from 'pg';
import { seedStore } from '../../../store-node/src/seed-store';
import { httpCall, pollUntil, type ServiceClient } from '../chain/http-client';
import { CuttableProxy } from './cuttable-proxy';

export type ClusterOptions = {
  stores: number;
  skus: readonly string[];
  openingStock: number;
  log: (line: string) => void;
};

export type StoreNode = {
  id: string;
  process: ServiceProcess;
  proxy: CuttableProxy;
  dataDir: string;
  /** A fault is working on this store (lanes inject faults concurrently): others leave it alone. */
  busy?: boolean;
};

const ADMIN_TOKEN = 'chaos-admin-token';
const VIEWER_TOKEN = 'chaos-viewer-token';
/** CHAOS_LOG_LEVEL=info with SERVICE_LOG_DIR keeps the services' logs of a run to look into. */
const serviceLogLevel = () => process.env.CHAOS_LOG_LEVEL ?? 'error';
export const STORE_TOKEN = 'chaos-store-token';
export const PRICE = '5.00';

/**
 * Everything the chaos run starts: its own nats-server, redis-server and PostgreSQL server on spare
 * ports (it kills those, never the shared ones), two central processes and N store nodes, each store
 * reaching NATS through a proxy the run can cut. stop() undoes all of it.
 */
export class ChaosCluster {
  readonly stores: StoreNode[] = [];
  readonly centrals: ServiceProcess[] = [];
  readonly prefix = `ch${randomBytes(3).toString('hex')}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'stocksync-chaos-'));
  nats!: TestNatsServer;
  redis!: TestRedisServer;
  postgres!: TestPostgresServer;
  /** The audit's own connections to central's database; they reconnect after a postgres-down fault. */
  db!: pg.Pool;

  private constructor(private readonly options: ClusterOptions) {}

  static async start(options: ClusterOptions): Promise<ChaosCluster> {
    const cluster = new ChaosCluster(options);
    try {
      await cluster.launch();
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  private async launch(): Promise<void> {
    const { log } = this.options;
    [this.nats, this.redis, this.postgres] = await Promise.all([
      TestNatsServer.start(),
      TestRedisServer.start(),
      TestPostgresServer.start(),
    ]);
    this.db = new pg.Pool({ connectionString: this.postgres.url, max: 4 });
    // An idle connection dropped by the server must not crash the run; the next query reconnects.
    this.db.on('error', () => undefined);
    log(`nats ${this.nats.url}, redis ${this.redis.url}, postgres ${this.postgres.url}`);

    for (const name of ['central-a', 'central-b']) {
      this.centrals.push(
        await ServiceProcess.start(name, CENTRAL_SERVER, {
          NATS_URL: this.nats.url,
          NATS_PREFIX: this.prefix,
          LOG_LEVEL: serviceLogLevel(),
          DATABASE_URL: this.postgres.url,
          DATABASE_POOL_SIZE: '8',
          // Shorter than a postgres-hang fault, so statements time out and their connections are dropped.
          DATABASE_QUERY_TIMEOUT_MS: '1500',
          DATABASE_CONNECT_TIMEOUT_MS: '1500',
          DATA_DIR: join(this.dir, name),
          REDIS_URL: this.redis.url,
          REDIS_KEY_PREFIX: `${this.prefix}:`,
          HQ_ADMIN_TOKEN: ADMIN_TOKEN,
          HQ_VIEWER_TOKEN: VIEWER_TOKEN,
          STORE_OFFLINE_AFTER_MS: '5000',
          CATALOG_PUBLISH_INTERVAL_MS: '1000',
          APPLY_ACK_WAIT_MS: '5000',
          // Reconciliation under every fault: anything it finds to repair is a violation (projectionDrift).
          RECONCILE_INTERVAL_MS: '1000',
        }),
      );
    }
    const hq = this.hq(0);
    for (const sku of this.options.skus) {
      const res = await httpCall(hq, 'POST', '/products', { sku, name: sku, price: PRICE, defaultMinStock: 5 });
      if (res.status !== 201) throw new Error(`POST /products ${sku} → ${res.status}`);
    }

    for (let i = 1; i <= this.options.stores; i++) {
      const id = `s${i}`;
      const dataDir = join(this.dir, id);
      const products = this.options.skus.map((sku) => ({ sku, name: sku, price: PRICE, defaultMinStock: 5 }));
      await seedStore({ dataDir, storeId: id, products, openingStock: () => this.options.openingStock });
      const proxy = await CuttableProxy.start(this.nats.port);
      const process = await ServiceProcess.start(id, STORE_SERVER, {
        NATS_URL: proxy.url,
        NATS_PREFIX: this.prefix,
        LOG_LEVEL: serviceLogLevel(),
        STORE_ID: id,
        STORE_TOKEN,
        DATA_DIR: dataDir,
        RESERVATION_SWEEP_MS: '250',
      });
      this.stores.push({ id, process, proxy, dataDir });
    }
    // HQ can coordinate only what central has seen: wait for every store's opening stock.
    const expected = this.options.stores * this.options.skus.length;
    await pollUntil(
      async () => (await this.db.query<{ n: number }>('select count(*)::int as n from stock')).rows[0]?.n ?? 0,
      (n) => n === expected,
      { what: 'opening stock at central', timeoutMs: 60_000 },
    );
    log(`${this.centrals.length} central processes and ${this.stores.length} store nodes up`);
  }

  get viewerToken(): string {
    return VIEWER_TOKEN;
  }

  hq(index: number): ServiceClient {
    return { url: this.centrals[index % this.centrals.length]?.url ?? '', token: ADMIN_TOKEN };
  }

  pos(index: number): ServiceClient {
    return { url: this.stores[index]?.process.url ?? '', token: STORE_TOKEN };
  }

  /**
   * Starts a killed process again the way the deployment's `restart: unless-stopped` does: one that
   * exits during start-up, or is not healthy within a minute (central reports unhealthy while NATS is down),
   * is started again until it stays up.
   */
  async restartSupervised(service: ServiceProcess, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await service.start();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Puts everything back: processes running, links up, NATS and Redis listening. */
  async heal(): Promise<void> {
    for (const store of this.stores) store.proxy.heal();
    await Promise.all(
      [...this.stores.map((s) => s.process), ...this.centrals]
        .filter((service) => !service.running)
        .map((service) => this.restartSupervised(service)),
    );
  }

  /** Stops every child and server it started; safe to call on a half-started cluster. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.stores.map((s) => s.process.stop()), ...this.centrals.map((c) => c.stop())]);
    await this.db?.end().catch(() => undefined);
    await Promise.allSettled([
      ...this.stores.map((s) => s.proxy.close()),
      this.nats?.stop(),
      this.redis?.stop(),
      this.postgres?.stop(),
    ]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
