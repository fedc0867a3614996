/** Deterministic random POS traffic against a store node over HTTP (tests, demo, chaos). */

export { prng } from '@stocksync/shared/testing';

export type PosClient = { url: string; token: string };
export type PosOutcome = { op: string; status: number };

async function call(
  client: PosClient,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${client.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${client.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

/**
 * One random POS operation: sale (1–3 lines), return, receipt, hold, confirm or cancel of an
 * earlier hold, count adjustment. `holds` carries hold ids between calls.
 */
export async function randomPosOperation(
  client: PosClient,
  skus: readonly string[],
  random: () => number,
  holds: string[],
): Promise<PosOutcome> {
  const pick = () => skus[Math.floor(random() * skus.length)]!;
  const qty = () => 1 + Math.floor(random() * 3);
  const roll = random();
  if (roll < 0.45) {
    const lines = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({ sku: pick(), qty: qty() }));
    return { op: 'sale', status: (await call(client, 'POST', '/sales', { lines })).status };
  }
  if (roll < 0.55)
    return {
      op: 'return',
      status: (await call(client, 'POST', '/returns', { lines: [{ sku: pick(), qty: 1 }] })).status,
    };
  if (roll < 0.68)
    return {
      op: 'receipt',
      status: (await call(client, 'POST', '/receipts', { lines: [{ sku: pick(), qty: 5 + qty() }] })).status,
    };
  if (roll < 0.8) {
    const res = await call(client, 'POST', '/reservations', { sku: pick(), qty: qty(), ttlSeconds: 600 });
    if (res.status === 201) holds.push((res.json as { id: string }).id);
    return { op: 'hold', status: res.status };
  }
  if (roll < 0.93 && holds.length > 0) {
    const id = holds.splice(Math.floor(random() * holds.length), 1)[0]!;
    const action = random() < 0.5 ? 'confirm' : 'cancel';
    return { op: action, status: (await call(client, 'POST', `/reservations/${id}/${action}`)).status };
  }
  const res = await call(client, 'POST', '/adjustments', { sku: pick(), delta: -1, reason: 'damaged' });
  return { op: 'adjust', status: res.status };
}

export async function storeGet<T>(client: PosClient, path: string): Promise<T> {
  const res = await call(client, 'GET', path);
  if (res.status !== 200) throw new Error(`GET ${path} → ${res.status}`);
  return res.json as T;
}
