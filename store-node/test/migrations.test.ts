import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterEach, describe, expect, it } from 'vitest';
import { openStoreDatabase } from '../src/db/db-plugin';

const MIGRATIONS = fileURLToPath(new URL('../drizzle', import.meta.url));

/** The migrations folder as a store installed before `tag` had it. */
function migrationsBefore(tag: string, dir: string): string {
  const folder = join(dir, 'drizzle');
  cpSync(MIGRATIONS, folder, { recursive: true });
  const journalFile = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
  const upTo = journal.entries.findIndex((e) => e.tag === tag);
  expect(upTo).toBeGreaterThan(0);
  writeFileSync(journalFile, JSON.stringify({ ...journal, entries: journal.entries.slice(0, upTo) }));
  return folder;
}

describe('store migrations on a store that already has data', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('0002 backfills each stock row with the seq of its latest ledger event', () => {
    const dir = mkdtempSync(join(tmpdir(), 'store-migrate-'));
    dirs.push(dir);
    const file = join(dir, 'store-m1.sqlite');
    const old = new Database(file);
    migrate(drizzle(old), { migrationsFolder: migrationsBefore('0002_stock_last_seq', dir) });
    const at = '2026-12-01T10:00:00.000Z';
    for (const sku of ['A', 'B', 'C']) {
      old.prepare('INSERT INTO products (sku, name, price, updated_at) VALUES (?, ?, ?, ?)').run(sku, sku, '1.00', at);
      old.prepare('INSERT INTO stock (sku, updated_at) VALUES (?, ?)').run(sku, at);
    }
    const events: [number, string, number][] = [
      [1, 'A', 1],
      [2, 'B', 1],
      [3, 'A', 2],
      [4, 'A', 3],
      [5, 'B', 2],
    ];
    for (const [seq, sku, version] of events) {
      old
        .prepare(
          `INSERT INTO ledger (seq, event_id, type, sku, delta, reserved_delta, on_hand, reserved, version, occurred_at, prev_hash, hash)
           VALUES (?, ?, 'stock.received', ?, 1, 0, ?, 0, ?, ?, 'x', 'y')`,
        )
        .run(seq, `e${seq}`, sku, version, version, at);
      old.prepare('UPDATE stock SET on_hand = ?, version = ? WHERE sku = ?').run(version, version, sku);
    }
    old.close();

    const { sqlite } = openStoreDatabase({ dataDir: dir, storeId: 'm1', synchronous: 'NORMAL' });
    try {
      expect(sqlite.prepare('SELECT sku, version, last_seq AS lastSeq FROM stock ORDER BY sku').all()).toEqual([
        { sku: 'A', version: 3, lastSeq: 4 },
        { sku: 'B', version: 2, lastSeq: 5 },
        { sku: 'C', version: 0, lastSeq: 0 },
      ]);
    } finally {
      sqlite.close();
    }
  });
});
