import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildStoreApp } from '../../src/app';
import { loadStoreConfig, type StoreConfig } from '../../src/config/config';
import type { Clock } from '../../src/domain/clock';

export const TOKEN = 'test-store-token';

export type TestStore = {
  app: FastifyInstance;
  config: StoreConfig;
  dataDir: string;
  /** app.inject with the store token already set. */
  request: (opts: InjectOptions) => Promise<LightMyRequestResponse>;
  close: () => Promise<void>;
};

export function storeEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    STORE_ID: 's1',
    STORE_TOKEN: TOKEN,
    PORT: '0',
    SYNC_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    ...overrides,
  };
}

/** A real store node on a fresh SQLite file in its own temp dir. */
export async function createTestStore(
  opts: { env?: Record<string, string>; clock?: Clock; dataDir?: string } = {},
): Promise<TestStore> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'stocksync-store-'));
  const config = loadStoreConfig(storeEnv({ DATA_DIR: dataDir, ...opts.env }));
  const app = await buildStoreApp(config, { ...(opts.clock ? { clock: opts.clock } : {}), logger: false });
  await app.ready();
  return {
    app,
    config,
    dataDir,
    request: (req) => app.inject({ ...req, headers: { authorization: `Bearer ${TOKEN}`, ...(req.headers ?? {}) } }),
    close: async () => {
      await app.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
