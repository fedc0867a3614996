import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  type AlertMessage,
  CatalogProductSchema,
  compileValidator,
  type NatsNames,
  StoreSkuSettingsSchema,
} from '@stocksync/shared';
import type { Database } from '../db/database';
import { createProductsRepository } from '../db/products-repository';
import { createStoreSettingsRepository } from '../db/store-settings-repository';
import { publishAlerts } from '../domain/alert-hub';
import { reevaluateLowStock } from '../domain/low-stock-alerts';

const catalogProduct = compileValidator(CatalogProductSchema);
const skuSettings = compileValidator(StoreSkuSettingsSchema);
/** SKUs per low-stock re-evaluation statement (each one is a bind parameter). */
const ALERT_CHUNK = 1_000;

export type CatalogImportReport = {
  products: { imported: number; alreadyHere: number; unreadable: string[] };
  storeMinimums: { imported: number; alreadyHere: number; unreadable: string[] };
  alertsOpened: number;
  /** Alert changes that could not be announced on NATS (they are in the alerts table all the same). */
  alertsUnannounced: number;
};

/** The latest value of every key of a bucket: the replay a KV watch starts with, then stopped. */
async function latestValues(kv: KV): Promise<Map<string, unknown>> {
  const values = new Map<string, unknown>();
  if ((await kv.status()).values === 0) return values;
  const watch = await kv.watch({ key: '>' });
  try {
    for await (const entry of watch) {
      if (entry.operation === 'PUT') values.set(entry.key, entry.json());
      else values.delete(entry.key);
      if (entry.delta === 0) break; // the last key of the replay
    }
  } finally {
    watch.stop();
  }
  return values;
}

async function openBucket(nc: NatsConnection, bucket: string): Promise<KV> {
  try {
    return await new Kvm(nc).open(bucket);
  } catch (error) {
    throw new Error(
      `no KV bucket ${bucket} on this NATS (wrong NATS_URL or NATS_PREFIX?): ${(error as Error).message}`,
    );
  }
}

/**
 * Brings the catalog back into a central database that lost it (DESIGN §6b rebuilds stock, ledger and
 * cursors from the stores; the catalog record lives only at central and in the buckets it publishes to
 * the stores). Adds each product and store minimum the database does not have, as the buckets hold
 * them; what central still has is never overwritten. One transaction: all or nothing. The catalog
 * publisher puts the added rows into the buckets again (same fields; stores keep them as they are).
 */
export async function importCatalogFromBuckets(
  nc: NatsConnection,
  names: NatsNames,
  db: Database,
): Promise<CatalogImportReport> {
  const productValues = await latestValues(await openBucket(nc, names.catalogBucket));
  const settingValues = await latestValues(await openBucket(nc, names.storeSettingsBucket));
  const report: CatalogImportReport = {
    products: { imported: 0, alreadyHere: 0, unreadable: [] },
    storeMinimums: { imported: 0, alreadyHere: 0, unreadable: [] },
    alertsOpened: 0,
    alertsUnannounced: 0,
  };
  const changedAlerts: AlertMessage[] = [];

  await db.transaction(async (tx) => {
    const products = createProductsRepository(tx);
    const settings = createStoreSettingsRepository(tx);
    const skus: string[] = [];
    for (const [key, value] of productValues) {
      if (!catalogProduct.check(value)) {
        report.products.unreadable.push(key);
        continue;
      }
      const { sku, updatedAt: _publishedAt, ...fields } = value;
      if (await products.create(sku, fields)) report.products.imported++;
      else report.products.alreadyHere++;
      skus.push(sku);
    }
    for (const [key, value] of settingValues) {
      // `<storeId>.<sku>`: store ids have no dots, SKUs may.
      const dot = key.indexOf('.');
      if (dot <= 0 || !skuSettings.check(value)) {
        report.storeMinimums.unreadable.push(key);
        continue;
      }
      const [storeId, sku] = [key.slice(0, dot), key.slice(dot + 1)];
      if (await settings.get(storeId, sku)) {
        report.storeMinimums.alreadyHere++;
        continue;
      }
      await settings.setMinStock(storeId, sku, value.minStock);
      report.storeMinimums.imported++;
    }
    // Stock rebuilt from the stores before the catalog came back has alerts to open now.
    for (let i = 0; i < skus.length; i += ALERT_CHUNK) {
      changedAlerts.push(...(await reevaluateLowStock(tx, skus.slice(i, i + ALERT_CHUNK))));
    }
  });
  report.alertsOpened = changedAlerts.length;
  // After the commit, as the apply does: dashboards and SSE clients of every central replica see them.
  report.alertsUnannounced = publishAlerts(nc, names, changedAlerts).length;
  await nc.flush();
  return report;
}
