import { describe, expect, it } from 'vitest';
import { histogramSum, metricSeries, syncSnapshot } from './helpers/central-harness';
import { useCentralOnNats } from './helpers/central-on-nats';
import { rng, StoreEventFactory } from './helpers/event-factory';
import { publishEvents } from './helpers/nats-helpers';
import { VIEWER_TOKEN, waitFor } from './helpers/test-env';

const viewer = { authorization: `Bearer ${VIEWER_TOKEN}` };
const BEHIND_MS = 90_000;

/**
 * A store PC whose clock runs 90 s behind central's stamps its events 90 s in the past. Central must
 * read them through the offset the store reports in its heartbeats: lag figures are how far central
 * trailed, not how wrong a store's clock is (which `clockOffsetMs` shows on its own).
 */
describe("lag on central's clock for a store whose clock is off (PostgreSQL)", () => {
  const central = useCentralOnNats('postgres');

  it('corrects lagMs, the lag gauge and the commit → central histogram by the reported offset', async () => {
    const { app, t } = central;
    t.nc.publish(
      t.names.heartbeatSubject('c1'),
      JSON.stringify({
        storeId: 'c1',
        sentAt: new Date(Date.now() - BEHIND_MS).toISOString(),
        lastSeq: 0,
        lastPublishedSeq: 0,
        pending: 0,
        oldestPendingAgeMs: 0,
        clockOffsetMs: -BEHIND_MS,
      }),
    );
    await waitFor(
      async () => (await app.inject({ method: 'GET', url: '/stores/c1', headers: viewer })).json(),
      (body: { clockOffsetMs?: number }) => body.clockOffsetMs === -BEHIND_MS,
      { what: 'offset recorded' },
    );
    const latencyBefore = await histogramSum(app, 'central_apply_latency_seconds');
    const countBefore = await histogramSum(app, 'central_apply_latency_seconds', 'count');

    // Sold just now, stamped by the slow clock.
    const store = new StoreEventFactory('c1', rng(3), Date.now() - BEHIND_MS);
    await publishEvents(t, store.generate(6, ['K-1', 'K-2']));
    await waitFor(
      async () => (await syncSnapshot(app.db)).stores.c1?.lastSeq,
      (seq) => seq === 6,
      { what: 'applied' },
    );

    const c1 = (await app.inject({ method: 'GET', url: '/stores/c1', headers: viewer })).json();
    // Taken as it is, the store's time would make it ≈ 90 s.
    expect(c1.lagMs).toBeGreaterThanOrEqual(0);
    expect(c1.lagMs).toBeLessThan(30_000);
    expect((await metricSeries(app, 'central_store_apply_lag_seconds')).c1).toBeLessThan(30);
    const observed = (await histogramSum(app, 'central_apply_latency_seconds', 'count')) - countBefore;
    expect(observed).toBe(6);
    const meanSeconds = ((await histogramSum(app, 'central_apply_latency_seconds')) - latencyBefore) / observed;
    expect(meanSeconds).toBeLessThan(30);
  });
});
