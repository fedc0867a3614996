import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { natsNames } from '@stocksync/shared';
import { CENTRAL_SERVER, ServiceProcess, STORE_SERVER, TestNatsServer } from '@stocksync/shared/testing';
import pg from 'pg';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, http } from './helpers/http-client';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = fileURLToPath(new URL('../../docs/dashboard.png', import.meta.url));
const ADMIN = 'admin-token-dashboard';
const VIEWER = 'viewer-token-dashboard';
const STORE_TOKEN = 'store-token-dashboard';
const PG = 'postgres://postgres@127.0.0.1:5432';
const PRODUCTS = [
  { sku: 'DB-001', name: 'Desk lamp (oak)', category: 'home', price: '24.99', defaultMinStock: 2 },
  { sku: 'DB-002', name: 'Espresso beans (1 kg)', category: 'grocery', price: '18.49', defaultMinStock: 3 },
  { sku: 'DB-003', name: 'USB-C cable (2 m)', category: 'electronics', price: '9.95', defaultMinStock: 5 },
  { sku: 'DB-004', name: 'Wool socks (M)', category: 'apparel', price: '12.00', defaultMinStock: 4 },
  { sku: 'DB-005', name: 'Puzzle 500 pcs', category: 'toys', price: '15.49', defaultMinStock: 2 },
  { sku: 'DB-006', name: 'Hand cream (50 ml)', category: 'beauty', price: '6.99', defaultMinStock: 3 },
];
const OPENING: Record<string, number> = { 'DB-001': 14, 'DB-002': 30, 'DB-003': 6, 'DB-004': 22, 'DB-005': 9 };

const cellText = (page: Page, storeId: string, sku: string) =>
  page
    .locator(`[data-cell="${storeId}|${sku}"]`)
    .textContent({ timeout: 1_000 })
    .catch(() => null);

describe('HQ dashboard in Chromium (central + one store as processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stocksync-dashboard-'));
  const database = `dashboard_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${PG}/postgres` });
  let nats: TestNatsServer;
  let central: ServiceProcess;
  let store: ServiceProcess;
  let browser: BrowserContext | undefined;
  let created = false;
  const prefix = `dash${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install it with "apt-get install -y chromium" (bash .ci/run does), or set CHROMIUM_PATH`,
      );
    }
    await admin.connect();
    await admin.query(`create database ${database}`);
    created = true;
    nats = await TestNatsServer.start();
    const common = { NATS_URL: nats.url, NATS_PREFIX: prefix, LOG_LEVEL: 'warn' };
    central = await ServiceProcess.start('central', CENTRAL_SERVER, {
      ...common,
      DATABASE_URL: `${PG}/${database}`,
      DATA_DIR: join(dir, 'central'),
      HQ_ADMIN_TOKEN: ADMIN,
      HQ_VIEWER_TOKEN: VIEWER,
    });
    for (const product of PRODUCTS) {
      expect((await http(central.url, ADMIN, 'POST', '/products', product)).status).toBe(201);
    }
    store = await ServiceProcess.start('s1', STORE_SERVER, {
      ...common,
      STORE_ID: 's1',
      STORE_TOKEN,
      DATA_DIR: join(dir, 's1'),
    });
    await eventually(
      'the catalog at s1',
      async () => (await http<{ items: unknown[] }>(store.url, STORE_TOKEN, 'GET', '/products')).body.items.length,
      (n) => n === PRODUCTS.length,
    );
    const lines = Object.entries(OPENING).map(([sku, qty]) => ({ sku, qty }));
    expect((await http(store.url, STORE_TOKEN, 'POST', '/receipts', { lines })).status).toBe(201);
    browser = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1440, height: 1000 },
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.allSettled([store?.stop(), central?.stop()]);
    await nats?.stop();
    // Without Chromium nothing was started or connected: a query on an unconnected client would hang.
    if (created) {
      await admin.query(`drop database if exists ${database} with (force)`);
      await admin.end();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the store, its stock and a live sale (movement, stock cell, low-stock alert) without a reload', async () => {
    const page = browser?.pages()[0] ?? (await browser?.newPage());
    if (!page) throw new Error('no browser page');
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    // Public page; the viewer token comes from the fragment and is removed from the address bar.
    const response = await page.goto(`${central.url}/#token=${VIEWER}`);
    expect(response?.status()).toBe(200);
    await expect.poll(() => page.url(), { timeout: 5_000 }).not.toContain('token=');
    await expect.poll(() => page.locator('#app').isVisible()).toBe(true);
    expect(await page.locator('#login').isVisible()).toBe(false);

    const syncRow = page.locator('[data-testid="sync-row-s1"]');
    await expect
      .poll(() => syncRow.textContent({ timeout: 1_000 }).catch(() => ''), { timeout: 20_000 })
      .toMatch(/online/);
    await expect.poll(() => cellText(page, 's1', 'DB-003'), { timeout: 20_000 }).toBe('6');
    expect(await cellText(page, 's1', 'DB-001')).toBe('14');

    await page.evaluate(() => {
      (globalThis as unknown as { noReloadMarker: string }).noReloadMarker = 'same page';
    });
    const sale = await http(store.url, STORE_TOKEN, 'POST', '/sales', { lines: [{ sku: 'DB-003', qty: 3 }] });
    expect(sale.status).toBe(201);

    await expect.poll(() => cellText(page, 's1', 'DB-003'), { timeout: 15_000 }).toBe('3');
    const sold = page.locator('[data-testid="movement"]', { hasText: 'stock.sold' });
    await expect
      .poll(
        () =>
          sold
            .first()
            .textContent({ timeout: 1_000 })
            .catch(() => ''),
        { timeout: 10_000 },
      )
      .toContain('DB-003');
    // available 3 < min 5: the alert arrives over the SSE stream.
    const alert = page.locator('[data-testid="alert-s1-DB-003"]');
    await expect.poll(() => alert.textContent({ timeout: 1_000 }).catch(() => ''), { timeout: 15_000 }).toContain('3');
    expect(await page.evaluate(() => (globalThis as unknown as { noReloadMarker?: string }).noReloadMarker)).toBe(
      'same page',
    );

    // An online order held at s1 shows up among the orders to collect.
    const order = await http(central.url, ADMIN, 'POST', '/reservations', {
      sku: 'DB-002',
      qty: 2,
      storeId: 's1',
      ttlSeconds: 3_600,
      orderRef: 'web-dash-1',
    });
    expect(order.status).toBe(201);
    const collect = page.locator('[data-testid="reservation-web-dash-1"]');
    await expect
      .poll(() => collect.textContent({ timeout: 1_000 }).catch(() => ''), { timeout: 15_000 })
      .toMatch(/web-dash-1s1DB-0022in 5\d min/);

    // The filter narrows the matrix by text (SKU, name or category).
    await page.fill('#filter', 'grocery');
    await expect.poll(() => page.locator('[data-cell^="s1|"]').count()).toBe(1);
    await page.fill('#filter', '');
    await expect.poll(() => page.locator('[data-cell^="s1|"]').count()).toBe(PRODUCTS.length);

    expect(pageErrors).toEqual([]);
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  it('both services serve OpenAPI at /docs without a token, with examples of the main request bodies', async () => {
    type Spec = { paths: Record<string, Record<string, { requestBody?: { content: Record<string, object> } }>> };
    const example = (spec: Spec, path: string, method: string) => {
      const media = spec.paths[path]?.[method]?.requestBody?.content['application/json'] as
        | { example?: unknown; examples?: unknown }
        | undefined;
      return media?.example ?? media?.examples;
    };
    for (const base of [central.url, store.url]) expect((await fetch(`${base}/docs`)).status).toBe(200);
    const hq = (await (await fetch(`${central.url}/docs/json`)).json()) as Spec;
    const routes: Array<[string, string]> = [
      ['/products', 'post'],
      ['/transfers', 'post'],
      ['/reservations', 'post'],
    ];
    for (const [path, method] of routes) expect(example(hq, path, method), `central ${method} ${path}`).toBeTruthy();
    const pos = (await (await fetch(`${store.url}/docs/json`)).json()) as Spec;
    for (const path of ['/sales', '/reservations']) expect(example(pos, path, 'post'), `store ${path}`).toBeTruthy();
  });

  it("marks a store whose clock is off central's, as its heartbeat reports it", async () => {
    const page = browser?.pages()[0];
    if (!page) throw new Error('no browser page');
    const nc = await connect({ servers: nats.url });
    const beat = (storeId: string, clockOffsetMs: number) =>
      nc.publish(
        natsNames(prefix).heartbeatSubject(storeId),
        JSON.stringify({
          storeId,
          sentAt: new Date().toISOString(),
          lastSeq: 0,
          lastPublishedSeq: 0,
          pending: 0,
          oldestPendingAgeMs: 0,
          clockOffsetMs,
        }),
      );
    try {
      beat('clk-ahead', 90_400);
      beat('clk-close', 1_200);
      const row = (storeId: string) => () =>
        page
          .locator(`[data-testid="sync-row-${storeId}"]`)
          .textContent({ timeout: 1_000 })
          .catch(() => '');
      await expect.poll(row('clk-ahead'), { timeout: 20_000 }).toContain('clock +90 s');
      await expect.poll(row('clk-close'), { timeout: 20_000 }).toContain('online');
      expect(await row('clk-close')()).not.toContain('clock');
    } finally {
      await nc.close();
    }
  });
});
