import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { natsNames } from '@stocksync/shared';
import pg from 'pg';
import { type CentralConfig, loadCentralConfig } from '../../src/config/config';

export const ADMIN_TOKEN = 'admin-token-123';
export const VIEWER_TOKEN = 'viewer-token-123';
export const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const uniqueSuffix = () => `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
/** A NATS prefix no other test (or run) shares: its own stream, subjects and durable consumer. */
export const uniquePrefix = () => `t${uniqueSuffix()}`;

export type TestDatabase = { url: string; name: string; drop: () => Promise<void> };

/** A fresh PostgreSQL database per test file; migrations run when central starts. */
export async function createPgDatabase(): Promise<TestDatabase> {
  const name = `central_test_${uniqueSuffix()}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
    },
  };
}

export async function createTempDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'central-test-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export function testConfig(overrides: Partial<Record<keyof CentralConfig, string>>): CentralConfig {
  return loadCentralConfig({
    HQ_ADMIN_TOKEN: ADMIN_TOKEN,
    HQ_VIEWER_TOKEN: VIEWER_TOKEN,
    NATS_URL,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    ...overrides,
  });
}

/** Removes a test prefix's streams so the shared NATS server does not accumulate them. */
export async function deleteStreams(prefix: string): Promise<void> {
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    const names = natsNames(prefix);
    for (const stream of [names.eventsStream, names.commandsStream]) {
      await jsm.streams.delete(stream).catch(() => undefined);
    }
  } finally {
    await nc.close();
  }
}

export async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${opts.what ?? 'condition'}; last value: ${JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
    last = await probe();
  }
  return last;
}
