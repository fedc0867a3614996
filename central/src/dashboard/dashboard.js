/**
 * HQ dashboard: polls the read API (sync health, movements, transfers, periodic full inventory) and
 * follows /alerts/stream live. Stock cells are updated from each new movement's state-after, so a
 * sale at a store shows here within a second, without a reload.
 */
import { ApiClient, AuthError } from './api-client.js';
import {
  renderAlerts,
  renderMatrix,
  renderMovements,
  renderReservations,
  renderSync,
  renderTransfers,
} from './panels.js';

const TOKEN_KEY = 'stocksync.viewerToken';
const state = {
  stores: [],
  products: new Map(),
  stock: new Map(),
  alerts: new Map(),
  alertKeys: new Set(),
  movements: [],
  lastMovementId: 0,
  transfers: [],
  reservations: [],
  changed: new Set(),
};
const timers = [];
let streamAbort;

function tokenFromUrl() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token');
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    // Keep the token out of the address bar, history and screenshots.
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function setStatus(text, kind) {
  const el = document.getElementById('status');
  el.textContent = text;
  el.className = `badge ${kind}`;
}

function showLogin(message) {
  for (const t of timers.splice(0)) clearInterval(t);
  streamAbort?.abort();
  sessionStorage.removeItem(TOKEN_KEY);
  document.getElementById('app').hidden = true;
  document.getElementById('login').hidden = false;
  document.getElementById('login-error').textContent = message ?? '';
}

function filterValue() {
  return document.getElementById('filter').value.trim();
}

function redrawMatrix() {
  renderMatrix(state, filterValue(), document.getElementById('low-only').checked);
}

function setStock(item) {
  const key = `${item.storeId}|${item.sku}`;
  const current = state.stock.get(key);
  if (current && current.version >= item.version) return false;
  state.stock.set(key, { ...current, ...item });
  return true;
}

const loaders = {
  async products(api) {
    const items = await api.getAll('/products?limit=1000');
    state.products = new Map(items.map((p) => [p.sku, p]));
  },
  async inventory(api) {
    for (const item of await api.getAll('/inventory?limit=1000')) setStock(item);
    redrawMatrix();
  },
  async sync(api) {
    state.stores = await api.getAll('/sync?limit=1000');
    renderSync(state);
  },
  async transfers(api) {
    const [requested, inTransit] = await Promise.all([
      api.get('/transfers?status=requested&limit=100'),
      api.get('/transfers?status=in_transit&limit=100'),
    ]);
    state.transfers = [...inTransit.items, ...requested.items];
    renderTransfers(state);
  },
  async reservations(api) {
    state.reservations = (await api.get('/reservations?status=held&limit=100')).items;
    renderReservations(state);
  },
  async movements(api) {
    const page = await api.get('/movements?limit=100');
    const fresh = page.items.filter((m) => m.id > state.lastMovementId);
    if (fresh.length === 0 && state.movements.length > 0) return;
    state.changed.clear();
    // Oldest first, so the newest state of a (store, sku) wins.
    for (const m of [...fresh].reverse()) {
      const key = `${m.storeId}|${m.sku}`;
      const before = state.stock.get(key);
      const low = before?.minStock != null && m.onHand - m.reserved < before.minStock;
      if (
        setStock({
          storeId: m.storeId,
          sku: m.sku,
          onHand: m.onHand,
          reserved: m.reserved,
          version: m.version,
          lowStock: low,
        })
      )
        state.changed.add(key);
    }
    const first = state.lastMovementId === 0;
    state.lastMovementId = Math.max(state.lastMovementId, ...page.items.map((m) => m.id));
    state.movements = page.items.slice(0, 25).map((m) => ({ ...m, fresh: !first && fresh.includes(m) }));
    renderMovements(state);
    if (state.changed.size > 0) redrawMatrix();
  },
};

function every(ms, api, name) {
  let busy = false;
  const run = async () => {
    if (busy) return;
    busy = true;
    try {
      await loaders[name](api);
      setStatus('live', 'ok');
    } catch (error) {
      if (error instanceof AuthError) showLogin('The token was refused. Enter the viewer token.');
      else setStatus('connection problem — retrying', 'bad');
    } finally {
      busy = false;
    }
  };
  timers.push(setInterval(run, ms));
  return run();
}

function applyAlert(target, alert) {
  if (alert.status === 'open') target.set(alert.id, alert);
  else target.delete(alert.id);
}

function renderAlertState() {
  state.alertKeys = new Set([...state.alerts.values()].map((a) => `${a.storeId}|${a.sku}`));
  renderAlerts(state);
}

/** Follows /alerts/stream; on every (re)connect the snapshot before `ready` replaces the list. */
async function followAlerts(api) {
  let delay = 1000;
  streamAbort = new AbortController();
  const { signal } = streamAbort;
  while (!signal.aborted) {
    let snapshot = new Map();
    try {
      await api.stream(
        '/alerts/stream',
        (name, data) => {
          if (name === 'alert') applyAlert(snapshot ?? state.alerts, data);
          if (name === 'ready' && snapshot) {
            state.alerts = snapshot;
            snapshot = undefined;
            delay = 1000;
          }
          if (!snapshot) renderAlertState();
          document.getElementById('alerts-live').className = 'badge ok';
        },
        signal,
      );
    } catch (error) {
      if (error instanceof AuthError) return showLogin('The token was refused. Enter the viewer token.');
    }
    document.getElementById('alerts-live').className = 'badge bad';
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 10_000);
  }
}

async function start(token) {
  document.getElementById('login').hidden = true;
  document.getElementById('app').hidden = false;
  setStatus('connecting…', 'neutral');
  const api = new ApiClient(token);
  try {
    await Promise.all([loaders.products(api), loaders.sync(api)]);
  } catch (error) {
    if (error instanceof AuthError) return showLogin('The token was refused. Enter the viewer token.');
  }
  await every(30_000, api, 'inventory');
  await Promise.all([
    every(1_000, api, 'movements'),
    every(2_000, api, 'sync'),
    every(3_000, api, 'transfers'),
    every(3_000, api, 'reservations'),
  ]);
  timers.push(setInterval(() => loaders.products(api).catch(() => undefined), 60_000));
  void followAlerts(api);
}

document.getElementById('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const token = document.getElementById('token').value.trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  void start(token);
});
document.getElementById('sign-out').addEventListener('click', () => showLogin());
document.getElementById('filter').addEventListener('input', redrawMatrix);
document.getElementById('low-only').addEventListener('change', redrawMatrix);

const initial = tokenFromUrl();
if (initial) void start(initial);
else showLogin();
