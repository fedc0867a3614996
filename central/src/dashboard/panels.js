/** Renders each dashboard panel from the state object kept by dashboard.js. */
import { ago, fill, h, table, time, until } from './dom.js';

const MAX_ROWS = 300;
/** As the StocksyncStoreClockOff alert rule. */
const CLOCK_OFF_MS = 5_000;

export function renderSync(state) {
  const rows = state.stores.map((s) =>
    h(
      'tr',
      { 'data-testid': `sync-row-${s.storeId}` },
      h('td', {}, s.storeId),
      h('td', {}, h('span', { class: `badge ${s.online ? 'ok' : 'bad'}` }, s.online ? 'online' : 'offline')),
      h('td', { class: 'num' }, s.lastSeq),
      h('td', { class: 'num' }, s.reportedLastSeq ?? '—'),
      h('td', { class: `num ${s.pending ? 'warn' : ''}` }, s.pending ?? '—'),
      h('td', { class: 'num' }, s.lagMs ?? '—'),
      h('td', {}, ago(s.lastContactAt)),
      // Reconciliation shows only when it found something; the tooltip says when it last compared.
      h(
        'td',
        {
          title: s.lastReconciledAt
            ? `reconciled: ${s.reconcileResult}, ${ago(s.lastReconciledAt)}`
            : 'not reconciled yet',
        },
        h('span', { class: `badge ${s.chainStatus === 'ok' ? 'ok' : 'bad'}` }, s.chainStatus),
        s.behindCentral
          ? h('span', { class: 'badge bad', title: 'restored from a backup? run store:recover' }, 'behind central')
          : null,
        s.storageFull
          ? h(
              'span',
              { class: 'badge bad', title: 'stock changes refused until space is freed on its data disk' },
              'disk full',
            )
          : null,
        Math.abs(s.clockOffsetMs ?? 0) > CLOCK_OFF_MS
          ? h(
              'span',
              { class: 'badge warn', title: "its sale times and lag are off by this much: fix the store's NTP" },
              `clock ${s.clockOffsetMs > 0 ? '+' : '−'}${Math.round(Math.abs(s.clockOffsetMs) / 1000)} s`,
            )
          : null,
        s.reconcileResult && s.reconcileResult !== 'match' && s.reconcileResult !== 'in_flight'
          ? h('span', { class: 'badge bad' }, s.reconcileResult)
          : null,
      ),
    ),
  );
  fill(
    'sync',
    table(
      ['Store', 'Status', '#Applied seq', '#Store seq', '#Outbox', '#Lag ms', 'Last contact', 'Chain'],
      rows,
      'No store has reported yet.',
    ),
  );
}

export function renderAlerts(state) {
  const alerts = [...state.alerts.values()].sort((a, b) => b.openedAt.localeCompare(a.openedAt));
  const rows = alerts.map((a) =>
    h(
      'tr',
      { 'data-testid': `alert-${a.storeId}-${a.sku}` },
      h('td', {}, a.storeId),
      h('td', {}, a.sku),
      h('td', {}, state.products.get(a.sku)?.name ?? ''),
      h('td', { class: 'num bad-text' }, a.available),
      h('td', { class: 'num' }, a.minStock),
      h('td', {}, ago(a.openedAt)),
    ),
  );
  fill('alerts', table(['Store', 'SKU', 'Product', '#Available', '#Min', 'Opened'], rows, 'No open alerts.'));
  fill('alert-count', String(alerts.length));
}

export function renderTransfers(state) {
  const rows = state.transfers.map((t) =>
    h(
      'tr',
      { 'data-testid': `transfer-${t.id}` },
      h('td', { title: t.id }, `${t.id.slice(0, 8)}…`),
      h('td', {}, t.sku),
      h('td', {}, `${t.fromStoreId} → ${t.toStoreId}`),
      h('td', { class: 'num' }, t.shippedQty ?? t.qty),
      h('td', {}, h('span', { class: `badge ${t.status === 'in_transit' ? 'warn' : 'neutral'}` }, t.status)),
      h('td', {}, ago(t.shippedAt ?? t.createdAt)),
    ),
  );
  fill('transfers', table(['Transfer', 'SKU', 'Route', '#Qty', 'Status', 'Since'], rows, 'Nothing in flight.'));
}

export function renderReservations(state) {
  const rows = state.reservations.map((r) =>
    h(
      'tr',
      { 'data-testid': `reservation-${r.orderRef}` },
      h('td', { title: r.id }, r.orderRef),
      h('td', {}, r.storeId),
      h('td', {}, r.sku),
      h('td', { class: 'num' }, r.qty),
      h('td', { title: r.expiresAt }, until(r.expiresAt)),
    ),
  );
  fill('reservations', table(['Order', 'Store', 'SKU', '#Qty', 'Expires'], rows, 'No online order waiting.'));
}

export function renderMovements(state) {
  const rows = state.movements.map((m) =>
    h(
      'tr',
      { 'data-testid': 'movement', class: m.fresh ? 'flash' : '' },
      h('td', {}, time(m.occurredAt)),
      h('td', {}, m.storeId),
      h('td', {}, m.type),
      h('td', {}, m.sku),
      h('td', { class: `num ${m.delta < 0 ? 'bad-text' : 'ok-text'}` }, m.delta > 0 ? `+${m.delta}` : m.delta),
      h('td', { class: 'num' }, m.onHand),
    ),
  );
  fill('movements', table(['Time', 'Store', 'Type', 'SKU', '#Δ', '#On hand'], rows, 'No movements yet.'));
}

function matches(filter, sku, product) {
  if (!filter) return true;
  const text = `${sku} ${product?.name ?? ''} ${product?.category ?? ''}`.toLowerCase();
  return filter
    .toLowerCase()
    .split(/\s+/)
    .every((word) => text.includes(word));
}

function cell(state, storeId, sku) {
  const item = state.stock.get(`${storeId}|${sku}`);
  if (!item) return h('td', { class: 'num muted', 'data-cell': `${storeId}|${sku}` }, '·');
  const alert = state.alertKeys.has(`${storeId}|${sku}`);
  const changed = state.changed.has(`${storeId}|${sku}`);
  return h(
    'td',
    {
      class: `num ${item.lowStock || alert ? 'low' : ''} ${changed ? 'flash' : ''}`,
      'data-cell': `${storeId}|${sku}`,
      title: `on hand ${item.onHand}, reserved ${item.reserved}, min ${item.minStock ?? '—'}, v${item.version}`,
    },
    item.onHand - item.reserved,
  );
}

export function renderMatrix(state, filter, lowOnly) {
  const storeIds = state.stores.map((s) => s.storeId);
  const skus = new Set(state.products.keys());
  for (const key of state.stock.keys()) skus.add(key.split('|')[1]);
  const wanted = [...skus]
    .sort()
    .filter((sku) => matches(filter, sku, state.products.get(sku)))
    .filter((sku) => !lowOnly || storeIds.some((id) => state.stock.get(`${id}|${sku}`)?.lowStock));
  const rows = wanted.slice(0, MAX_ROWS).map((sku) => {
    const product = state.products.get(sku);
    const total = storeIds.reduce((sum, id) => {
      const item = state.stock.get(`${id}|${sku}`);
      return sum + (item ? item.onHand - item.reserved : 0);
    }, 0);
    return h(
      'tr',
      {},
      h('td', { class: 'sku' }, sku),
      h('td', {}, product?.name ?? ''),
      h('td', { class: 'muted' }, product?.category ?? ''),
      h('td', { class: 'num muted' }, product?.price ?? ''),
      ...storeIds.map((id) => cell(state, id, sku)),
      h('td', { class: 'num total' }, total),
    );
  });
  fill(
    'matrix',
    table(
      ['SKU', 'Product', 'Category', '#Price', ...storeIds.map((id) => `#${id}`), '#Total'],
      rows,
      'No SKU matches the filter.',
    ),
  );
  fill(
    'matrix-note',
    wanted.length > MAX_ROWS
      ? `Showing ${MAX_ROWS} of ${wanted.length} SKUs; narrow the filter to see the rest.`
      : `${wanted.length} SKUs × ${storeIds.length} stores. Cells show available (on hand − reserved).`,
  );
}
