import { type Static, Type } from '@sinclair/typebox';
import { CatalogProductSchema, compileValidator, type StockEvent, StockEventSchema } from '@stocksync/shared';

const EventsPage = Type.Object({
  items: Type.Array(StockEventSchema),
  nextAfterSeq: Type.Union([Type.Integer(), Type.Null()]),
});
const StoreCursor = Type.Object({ storeId: Type.String(), lastSeq: Type.Integer({ minimum: 0 }) });
/** Central's product view carries more (version, published, createdAt): the catalog fields are what a store keeps. */
const CentralProduct = Type.Object({ ...CatalogProductSchema.properties });
const CentralReservation = Type.Object({
  id: Type.String(),
  storeId: Type.String(),
  sku: Type.String(),
  qty: Type.Integer({ minimum: 1 }),
  status: Type.Union([
    Type.Literal('held'),
    Type.Literal('confirmed'),
    Type.Literal('released'),
    Type.Literal('expired'),
  ]),
  orderRef: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
});
const CentralTransfer = Type.Object({
  id: Type.String(),
  sku: Type.String(),
  fromStoreId: Type.String(),
  toStoreId: Type.String(),
  qty: Type.Integer({ minimum: 1 }),
  shippedQty: Type.Union([Type.Integer(), Type.Null()]),
  receivedQty: Type.Union([Type.Integer(), Type.Null()]),
  status: Type.Union([
    Type.Literal('requested'),
    Type.Literal('in_transit'),
    Type.Literal('received'),
    Type.Literal('cancelled'),
  ]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
const TransferPage = Type.Object({
  items: Type.Array(CentralTransfer),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

type Validator<R> = { parse(value: unknown): R };
const answers = {
  eventsPage: compileValidator(EventsPage),
  storeCursor: compileValidator(StoreCursor),
  product: compileValidator(CentralProduct),
  reservation: compileValidator(CentralReservation),
  transferPage: compileValidator(TransferPage),
};

export type EventsPage = Static<typeof EventsPage>;
export type CentralReservation = Static<typeof CentralReservation>;
export type CentralTransfer = Static<typeof CentralTransfer>;
export type CentralProduct = Static<typeof CentralProduct>;

export class CentralRequestError extends Error {
  override name = 'CentralRequestError';
}

/**
 * What store recovery reads from central's HQ API (a viewer token is enough). Each answer is validated:
 * a proxy's error page or an older central must stop the recovery, not feed it. No retries: the
 * recovery is resumable, so an operator simply runs it again.
 */
export function createCentralHistoryClient(opts: {
  baseUrl: string;
  token: string;
  storeId: string;
  timeoutMs?: number;
}) {
  async function request<R>(path: string, answer: Validator<R>, allow404: boolean): Promise<R | null> {
    const url = new URL(path, opts.baseUrl);
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { authorization: `Bearer ${opts.token}` },
        signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw new CentralRequestError(`GET ${url.pathname}: ${(error as Error).message}`);
    }
    if (allow404 && res.status === 404) return null;
    if (!res.ok)
      throw new CentralRequestError(`GET ${url.pathname}${url.search}: HTTP ${res.status} ${await res.text()}`);
    try {
      return answer.parse(await res.json());
    } catch (error) {
      throw new CentralRequestError(`GET ${url.pathname}: unexpected answer (${(error as Error).message})`);
    }
  }
  const get = async <R>(path: string, answer: Validator<R>) => (await request(path, answer, false)) as R;
  /** null when central answers 404. */
  const find = <R>(path: string, answer: Validator<R>) => request(path, answer, true);
  const store = encodeURIComponent(opts.storeId);

  return {
    /** Central's apply cursor for this store; null if central never heard of it. */
    async cursor(): Promise<number | null> {
      return (await find(`/stores/${store}`, answers.storeCursor))?.lastSeq ?? null;
    },
    eventsAfter(afterSeq: number, limit: number): Promise<EventsPage> {
      return get(`/stores/${store}/events?afterSeq=${afterSeq}&limit=${limit}`, answers.eventsPage);
    },
    async eventAt(seq: number): Promise<StockEvent | undefined> {
      const page = await get(`/stores/${store}/events?afterSeq=${seq - 1}&limit=1`, answers.eventsPage);
      return page.items[0]?.seq === seq ? page.items[0] : undefined;
    },
    product: (sku: string) => find(`/products/${encodeURIComponent(sku)}`, answers.product),
    reservation: (id: string) => find(`/reservations/${encodeURIComponent(id)}`, answers.reservation),
    /** Every transfer with this store at either end, every page. */
    async transfersOfStore(): Promise<CentralTransfer[]> {
      const all: CentralTransfer[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `storeId=${store}&limit=500${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await get(`/transfers?${query}`, answers.transferPage);
        all.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return all;
    },
  };
}
export type CentralHistoryClient = ReturnType<typeof createCentralHistoryClient>;
