import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId, type StoreCommand } from '@stocksync/shared';
import { expect } from 'vitest';
import { openStoreDatabase } from '../../src/db/db-plugin';
import { type ForkedHistory, readForkedHistory } from '../../src/recovery/fork-reentry';
import { createTestStore, type TestStore } from './test-store';

/**
 * Store files for fork tests: one directory goes on as central's history, a copy of it as the fork.
 * `cleanup()` deletes every directory made.
 */
export function forkFiles() {
  const dirs: string[] = [];
  const fileOf = (dir: string) => join(dir, 'store-s1.sqlite');
  const dir = (name: string) => {
    const made = mkdtempSync(join(tmpdir(), `stocksync-${name}-`));
    dirs.push(made);
    return made;
  };
  return {
    dir,
    fileOf,
    cleanup: () => {
      for (const made of dirs.splice(0)) rmSync(made, { recursive: true, force: true });
    },
    /** A copy of the (closed) store in `from`, as a backup restored twice would give. */
    copy(from: string): string {
      const to = dir('fork');
      for (const suffix of ['', '-wal']) {
        if (existsSync(`${fileOf(from)}${suffix}`)) copyFileSync(`${fileOf(from)}${suffix}`, `${fileOf(to)}${suffix}`);
      }
      return to;
    },
    /** Reads the fork (events after commonSeq, its holds) from the closed store in `forkDir`. */
    readFork(forkDir: string, commonSeq: number): ForkedHistory {
      const forked = openStoreDatabase({ dataDir: forkDir, storeId: 's1', synchronous: 'FULL' });
      try {
        return readForkedHistory(forked.db, 's1', commonSeq);
      } finally {
        forked.sqlite.close();
      }
    },
  };
}

/** Opens a node on `dataDir`, runs `work`, closes it. */
export async function session<T>(dataDir: string, work: (store: TestStore) => Promise<T>): Promise<T> {
  const store = await createTestStore({ dataDir });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** A POST that must succeed; its JSON answer. */
export async function post(store: TestStore, url: string, payload: object) {
  const res = await store.request({ method: 'POST', url, payload });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json();
}

/** Central's command creating a transfer at this store (s1), as the command consumer applies it. */
export function applyTransferCommand(
  store: TestStore,
  type: 'transfer.requested' | 'transfer.in_transit',
  transfer: { transferId: string; sku: string; qty: number; fromStoreId: string; toStoreId: string },
) {
  const command: StoreCommand = { type, id: newId(), ...transfer, issuedAt: new Date().toISOString() };
  return store.app.writes.submit(() => store.app.transfers.applyCommand(command));
}
