import { idForIdempotencyKey } from '../../../central/src/domain/idempotent-id';
import type { ServiceClient } from '../chain/http-client';
import { PRICE } from './chaos-cluster';
import type { AckedWrite, ChaosJournal } from './chaos-journal';
import type { HqOp, PosOp } from './chaos-plan';
import { type Answer, callUntilAnswered } from './resilient-client';

type LineResult = { sku: string; version: number };
type Movement = { id: string; lines: LineResult[] };
type Adjustment = { id: string; sku: string; delta: number; version: number };
type Reservation = { id: string; status: string; storeId?: string };
type Transfer = { id: string; status: string };

export type OperationTargets = {
  pos: (store: number) => ServiceClient;
  storeId: (store: number) => string;
  /** Both central replicas, the next one first, like a load balancer would spread retries. */
  hq: () => ServiceClient[];
};

/** Bad requests a POS integrator could send: each must get a 4xx and change nothing (DESIGN §8.7). */
const BAD_INPUTS: { path: string; body: unknown }[] = [
  { path: '/sales', body: { lines: [{ sku: 'CH-0', qty: 0 }] } },
  { path: '/sales', body: { lines: [{ sku: 'CH-0', qty: 1.5 }] } },
  { path: '/sales', body: { lines: [{ sku: 'CH-0', qty: -3 }] } },
  { path: '/sales', body: { lines: [{ sku: 'NO-SUCH-SKU', qty: 1 }] } },
  { path: '/sales', body: { lines: [{ sku: 'CH-0', qty: 1 }], discount: 5 } },
  { path: '/sales', body: { lines: [] } },
  { path: '/receipts', body: { lines: [{ sku: 'CH-1', qty: 1e12 }] } },
  { path: '/adjustments', body: { sku: 'CH-1', delta: 0, reason: 'none' } },
  { path: '/adjustments', body: { sku: 'CH-1', countedOnHand: -1, reason: 'count' } },
  { path: '/reservations', body: { sku: 'CH-2', qty: 1, ttlSeconds: 0 } },
  { path: '/reservations/not-a-uuid/confirm', body: undefined },
];

const POS_BUDGET_MS = 90_000;
const HQ_BUDGET_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const codeOf = (answer: Answer<unknown>) => (answer.body as { code?: string } | null)?.code;

export function createOperations(targets: OperationTargets, journal: ChaosJournal, runId: string) {
  const orderRef = (order: number) => `${runId}-order-${order}`;
  const posCall = <T>(store: number, path: string, body: unknown, key?: string) =>
    callUntilAnswered<T>(() => [targets.pos(store)], 'POST', path, body, key, POS_BUDGET_MS);
  const hqCall = <T>(method: 'POST' | 'PUT', path: string, body: unknown, key?: string) =>
    callUntilAnswered<T>(targets.hq, method, path, body, key, HQ_BUDGET_MS);

  const record = (op: string, answer: Answer<unknown>) => {
    journal.count(op, answer.status);
    if (!answer.answered) journal.unresolved++;
    const code = codeOf(answer);
    const documented503 = answer.status === 503 && (code === 'STORE_UNAVAILABLE' || code === 'DEPENDENCY_UNAVAILABLE');
    if (answer.status >= 500 && !documented503) journal.serverErrors.push(`${op} → ${answer.status} ${code ?? ''}`);
    return answer.status >= 200 && answer.status < 300;
  };
  const ack = (write: AckedWrite) => journal.ack(write);

  /** A step that depends on a command reaching a store: the clerk tries again for a while, then gives up. */
  async function patiently<T>(op: string, attempt: () => Promise<Answer<T>>): Promise<Answer<T>> {
    for (let i = 0; ; i++) {
      const answer = await attempt();
      const code = codeOf(answer);
      const waiting = answer.status === 404 || (answer.status === 409 && code === 'CONFLICT');
      if (!waiting || i >= 10) {
        record(op, answer);
        return answer;
      }
      await sleep(300);
    }
  }

  /** Runs one POS operation; returns how many events its answer acknowledged. */
  async function pos(op: PosOp, key: string): Promise<number> {
    const storeId = targets.storeId(op.store);
    switch (op.kind) {
      case 'sale':
      case 'return':
      case 'receipt': {
        const path = op.kind === 'sale' ? '/sales' : `/${op.kind}s`;
        const answer = await posCall<Movement>(op.store, path, { lines: op.lines }, key);
        if (record(op.kind, answer) && answer.answered) {
          const events = answer.body.lines.map((l) => ({ sku: l.sku, version: l.version }));
          ack({ storeId, kind: op.kind, ref: answer.body.id, events });
          return events.length;
        }
        return 0;
      }
      case 'adjust':
      case 'count': {
        const body =
          op.kind === 'adjust'
            ? { sku: op.sku, delta: op.delta, reason: 'chaos shrinkage' }
            : { sku: op.sku, countedOnHand: op.countedOnHand, reason: 'chaos count' };
        const answer = await posCall<Adjustment>(op.store, '/adjustments', body, key);
        if (record(op.kind, answer) && answer.answered) {
          const { id, sku, version } = answer.body;
          ack({ storeId, kind: op.kind, ref: id, events: [{ sku, version }] });
          return 1;
        }
        return 0;
      }
      case 'hold': {
        const body = { sku: op.sku, qty: op.qty, ttlSeconds: op.ttlSeconds };
        const answer = await posCall<Reservation>(op.store, '/reservations', body, key);
        if (record('hold', answer) && answer.answered) {
          journal.posHolds.set(op.hold, { storeId, id: answer.body.id });
          ack({ storeId, kind: 'hold', ref: answer.body.id, events: [{ sku: op.sku, type: 'reservation.held' }] });
          return 1;
        }
        return 0;
      }
      case 'hold-end': {
        const hold = journal.posHolds.get(op.hold);
        if (!hold) return 0;
        const answer = await posCall<Reservation>(op.store, `/reservations/${hold.id}/${op.action}`, undefined, key);
        const done =
          answer.answered &&
          answer.status === 200 &&
          answer.body.status === (op.action === 'confirm' ? 'confirmed' : 'released');
        if (record(`hold-${op.action}`, answer) && done) {
          const type = op.action === 'confirm' ? 'reservation.confirmed' : 'reservation.released';
          ack({ storeId, kind: `hold-${op.action}`, ref: hold.id, events: [{ sku: '*', type }] });
          return 1;
        }
        return 0;
      }
      case 'bad-input': {
        const bad = BAD_INPUTS[op.variant % BAD_INPUTS.length] as (typeof BAD_INPUTS)[number];
        const answer = await posCall(op.store, bad.path, bad.body, key);
        record('bad-input', answer);
        if (answer.status < 400 || answer.status >= 500) journal.badInputNot4xx++;
        return 0;
      }
    }
  }

  async function hq(op: HqOp, key: string): Promise<void> {
    switch (op.kind) {
      case 'online-hold': {
        const body = {
          sku: op.sku,
          qty: op.qty,
          ttlSeconds: op.ttlSeconds,
          orderRef: orderRef(op.order),
          storeId: op.storeId,
        };
        journal.onlineHoldIds.add(idForIdempotencyKey('reservation', key));
        const answer = await hqCall<Reservation>('POST', '/reservations', body, key);
        record('online-hold', answer);
        if (!answer.answered) return;
        const { id, storeId } = answer.body;
        journal.orders.set(op.order, { orderRef: orderRef(op.order), status: answer.status, id, storeId });
        return;
      }
      case 'online-end': {
        const order = journal.orders.get(op.order);
        if (order?.status !== 201 || !order.id) return;
        const answer = await hqCall<Reservation>('POST', `/reservations/${order.id}/${op.action}`, undefined);
        record(`online-${op.action}`, answer);
        return;
      }
      case 'transfer': {
        const body = { sku: op.sku, fromStoreId: op.from, toStoreId: op.to, qty: op.qty };
        const answer = await hqCall<Transfer>('POST', '/transfers', body, key);
        if (record('transfer', answer) && answer.answered) {
          journal.transfers.set(op.transfer, {
            id: answer.body.id,
            from: op.from,
            to: op.to,
            sku: op.sku,
            qty: op.qty,
          });
        }
        return;
      }
      case 'ship':
      case 'receive': {
        const transfer = journal.transfers.get(op.transfer);
        if (!transfer) return;
        const atStore = op.kind === 'ship' ? transfer.from : transfer.to;
        const store = Number(atStore.slice(1)) - 1;
        const path = `/transfers/${transfer.id}/${op.kind}`;
        const short = op.kind === 'receive' && op.shortBy > 0;
        const body = short ? { receivedQty: Math.max(0, transfer.qty - op.shortBy) } : undefined;
        const answer = await patiently<Transfer>(op.kind, () =>
          posCall<Transfer>(store, path, body, `${key}-${op.kind}`),
        );
        const expected = op.kind === 'ship' ? 'in_transit' : 'received';
        if (answer.answered && answer.status === 200 && answer.body.status === expected) {
          const type = op.kind === 'ship' ? 'transfer.shipped' : 'transfer.received';
          ack({ storeId: atStore, kind: op.kind, ref: transfer.id, events: [{ sku: transfer.sku, type }] });
        }
        return;
      }
      case 'transfer-cancel': {
        const transfer = journal.transfers.get(op.transfer);
        if (!transfer) return;
        record('transfer-cancel', await hqCall('POST', `/transfers/${transfer.id}/cancel`, undefined));
        return;
      }
      case 'catalog-create': {
        const body = { sku: op.sku, name: op.sku, price: PRICE, defaultMinStock: 2 };
        record('catalog-create', await hqCall('POST', '/products', body));
        return;
      }
      case 'catalog-edit': {
        const body = { name: `${op.sku} (edited)`, price: op.price, active: op.active, defaultMinStock: 5 };
        record('catalog-edit', await hqCall('PUT', `/products/${op.sku}`, body));
      }
    }
  }

  return { pos, hq };
}
