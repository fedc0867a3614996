import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BUILT_CENTRAL_SERVER, BUILT_STORE_SERVER } from '@stocksync/shared/testing';
import type { ServiceClient } from '../chain/http-client';
import { DEMO_STORES, type DemoSettings } from './demo-settings';
import { ServiceRunner } from './service-runner';

export type DemoStore = { storeId: string; runner: ServiceRunner; client: ServiceClient & { storeId: string } };
export type DemoChain = {
  central: ServiceRunner;
  admin: ServiceClient;
  viewer: ServiceClient;
  stores: DemoStore[];
  stop: () => Promise<void>;
  killNow: () => void;
};

/** Central and the three store nodes as child processes configured only by environment variables. */
export function createDemoChain(settings: DemoSettings): DemoChain {
  const common = {
    HOST: '127.0.0.1',
    NATS_URL: settings.natsUrl,
    NATS_PREFIX: settings.natsPrefix,
    LOG_LEVEL: settings.logLevel,
  };
  const central = new ServiceRunner(
    'central',
    // The bundles scripts/src/build.ts writes: the demo runs the services as production does.
    BUILT_CENTRAL_SERVER,
    {
      ...common,
      DATA_DIR: join(settings.dataDir, 'central'),
      REDIS_URL: settings.redisUrl,
      REDIS_KEY_PREFIX: `${settings.natsPrefix}:`,
      HQ_ADMIN_TOKEN: settings.adminToken,
      HQ_VIEWER_TOKEN: settings.viewerToken,
      // Heartbeats come every 5 s: a stopped store shows offline within ~10 s instead of 15.
      STORE_OFFLINE_AFTER_MS: '10000',
      ...(settings.databaseUrl ? { DATABASE_URL: settings.databaseUrl } : {}),
    },
    settings.centralPort,
    join(settings.logDir, 'central.log'),
  );
  const stores = DEMO_STORES.map((storeId, i): DemoStore => {
    const dataDir = join(settings.dataDir, storeId);
    mkdirSync(dataDir, { recursive: true });
    const port = settings.storePorts[i] ?? 7001 + i;
    const runner = new ServiceRunner(
      storeId,
      BUILT_STORE_SERVER,
      { ...common, STORE_ID: storeId, STORE_TOKEN: settings.storeToken(storeId), DATA_DIR: dataDir },
      port,
      join(settings.logDir, `${storeId}.log`),
    );
    return { storeId, runner, client: { storeId, url: runner.url, token: settings.storeToken(storeId) } };
  });
  return {
    central,
    admin: { url: central.url, token: settings.adminToken },
    viewer: { url: central.url, token: settings.viewerToken },
    stores,
    // Stores first, so their last events can still reach a running central.
    stop: async () => {
      await Promise.allSettled(stores.map((s) => s.runner.stop()));
      await central.stop();
    },
    killNow: () => {
      for (const s of stores) s.runner.killNow();
      central.killNow();
    },
  };
}
