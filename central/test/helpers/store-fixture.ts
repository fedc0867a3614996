import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProcess, STORE_SERVER } from '@stocksync/shared/testing';
import { NATS_URL } from './test-env';

export const STORE_TOKEN = 'store-token-fixture';

export type StockView = { sku: string; onHand: number; reserved: number; available: number; version: number };

/** A real store node process on the test's NATS prefix, with its own data dir. */
export async function startStore(opts: { storeId: string; prefix: string; env?: Record<string, string> }) {
  const dir = mkdtempSync(join(tmpdir(), `store-${opts.storeId}-`));
  const process = await ServiceProcess.start(opts.storeId, STORE_SERVER, {
    STORE_ID: opts.storeId,
    STORE_TOKEN,
    DATA_DIR: dir,
    NATS_URL,
    NATS_PREFIX: opts.prefix,
    LOG_LEVEL: 'warn',
    ...opts.env,
  });
  const call = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${process.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${STORE_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  return {
    process,
    call,
    stock: async (sku: string) => (await call<StockView>('GET', `/stock/${sku}`)).body,
    async receive(sku: string, qty: number): Promise<void> {
      const res = await call('POST', '/receipts', { lines: [{ sku, qty }] });
      if (res.status !== 201) throw new Error(`receipt failed: ${res.status} ${JSON.stringify(res.body)}`);
    },
    async stop(): Promise<void> {
      await process.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
export type TestStore = Awaited<ReturnType<typeof startStore>>;

/** Polls until `check` passes (returns its last value) or fails after `timeoutMs`. */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
