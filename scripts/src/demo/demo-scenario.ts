import { httpCall, pollUntil } from '../chain/http-client';
import type { DemoChain, DemoStore } from './demo-chain';

type Transfer = { id: string; sku: string; status: string };
type StoreStock = { sku: string; available: number };
type Reservation = { id: string; storeId: string; status: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type ScenarioTimes = { transferAt: number; reserveAt: number; offlineAt: number; backAt: number };

/** When things happen, in seconds: fixed for an open-ended run, squeezed into a short DEMO_SECONDS. */
export function scenarioTimes(totalSeconds: number | undefined): ScenarioTimes {
  const total = totalSeconds ?? 120;
  const offlineAt = Math.min(12, Math.round(total * 0.25));
  return {
    transferAt: Math.min(5, Math.round(total * 0.1)),
    reserveAt: Math.min(8, Math.round(total * 0.15)),
    offlineAt,
    backAt: Math.min(offlineAt + 25, Math.round(total * 0.75)),
  };
}

/**
 * The scripted part of the demo: a transfer requested at HQ and shipped/received by the stores, an
 * online reservation confirmed later, and one store going offline (its process stopped) and coming
 * back. Each step reports a line through `note`; a failed step is reported, never fatal.
 */
export class DemoScenario {
  private stopped = false;
  private started = Date.now();
  private running: Promise<unknown>[] = [];

  constructor(
    private readonly chain: DemoChain,
    private readonly skus: readonly string[],
    private readonly times: ScenarioTimes,
    private readonly note: (line: string) => void,
  ) {}

  start(): void {
    this.started = Date.now();
    const steps: Array<[number, () => Promise<void>]> = [
      [this.times.transferAt, () => this.transfer()],
      [this.times.reserveAt, () => this.onlineReservation()],
      [this.times.offlineAt, () => this.offline()],
    ];
    this.running = steps.map(([at, step]) =>
      this.at(at).then(async () => {
        if (this.stopped) return;
        await step().catch((error: Error) => this.note(`step failed: ${error.message}`));
      }),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled(this.running);
  }

  private async at(seconds: number): Promise<void> {
    while (!this.stopped && Date.now() - this.started < seconds * 1000) await sleep(200);
  }

  private store(storeId: string): DemoStore {
    const store = this.chain.stores.find((s) => s.storeId === storeId);
    if (!store) throw new Error(`no store ${storeId}`);
    return store;
  }

  /** A SKU the store can spare `qty` of, from its own stock. */
  private async spareSku(store: DemoStore, qty: number): Promise<string> {
    const res = await httpCall<{ items: StoreStock[] }>(store.client, 'GET', '/stock?limit=500');
    const sku = res.body.items.find((s) => s.available >= qty + 5 && this.skus.includes(s.sku))?.sku;
    if (!sku) throw new Error(`${store.storeId} has no SKU with ${qty + 5} available`);
    return sku;
  }

  private async transfer(): Promise<void> {
    const [from, to] = [this.store('s1'), this.store('s2')];
    const sku = await this.spareSku(from, 3);
    const res = await httpCall<Transfer>(
      this.chain.admin,
      'POST',
      '/transfers',
      { sku, fromStoreId: from.storeId, toStoreId: to.storeId, qty: 3 },
      { 'idempotency-key': `demo-transfer-${this.started}` },
    );
    if (res.status !== 201) throw new Error(`POST /transfers → ${res.status} ${JSON.stringify(res.body)}`);
    const id = res.body.id;
    this.note(`HQ requested transfer of 3 × ${sku} s1 → s2 (${id.slice(0, 8)}…)`);
    const atStore = (store: DemoStore) => async () =>
      (await httpCall<{ items: Transfer[] }>(store.client, 'GET', '/transfers')).body.items?.find((t) => t.id === id);
    await pollUntil(atStore(from), (t) => !!t, { timeoutMs: 20_000, what: 'the transfer command at s1' });
    await sleep(3_000);
    const shipped = await httpCall<Transfer>(from.client, 'POST', `/transfers/${id}/ship`);
    if (shipped.status !== 200) throw new Error(`ship → ${shipped.status} ${JSON.stringify(shipped.body)}`);
    this.note('s1 shipped the transfer: in transit');
    await pollUntil(atStore(to), (t) => t?.status === 'in_transit', {
      timeoutMs: 20_000,
      what: 'the shipped transfer at s2',
    });
    await sleep(6_000);
    const received = await httpCall<Transfer>(to.client, 'POST', `/transfers/${id}/receive`, {});
    if (received.status !== 200) throw new Error(`receive → ${received.status} ${JSON.stringify(received.body)}`);
    this.note('s2 received the transfer');
  }

  private async onlineReservation(): Promise<void> {
    // At s2: s3 goes offline during the demo, and a confirm at an offline store is (rightly) a 503.
    const sku = await this.spareSku(this.store('s2'), 1);
    const res = await httpCall<Reservation>(this.chain.admin, 'POST', '/reservations', {
      sku,
      qty: 1,
      storeId: 's2',
      ttlSeconds: 600,
      orderRef: `web-${this.started}`,
    });
    if (res.status !== 201) throw new Error(`POST /reservations → ${res.status} ${JSON.stringify(res.body)}`);
    this.note(`online order held 1 × ${sku} at ${res.body.storeId} (click & collect)`);
    await sleep(8_000);
    const confirmed = await httpCall<Reservation>(this.chain.admin, 'POST', `/reservations/${res.body.id}/confirm`);
    this.note(`online order ${confirmed.status === 200 ? 'collected (confirmed)' : `confirm → ${confirmed.status}`}`);
  }

  private async offline(): Promise<void> {
    const store = this.store('s3');
    await store.runner.stop();
    this.note('s3 went offline (process stopped); HQ keeps its last known stock');
    const sku = this.skus[0] as string;
    const refused = await httpCall<{ code?: string }>(this.chain.admin, 'POST', '/reservations', {
      sku,
      qty: 1,
      storeId: 's3',
      ttlSeconds: 600,
      orderRef: `web-offline-${this.started}`,
    });
    this.note(`online order at offline s3 → ${refused.status} ${refused.body?.code ?? ''} (CP: never a guess)`);
    await this.at(this.times.backAt);
    if (this.stopped) return;
    await store.runner.start();
    this.note('s3 is back: its outbox drains to central');
  }
}
