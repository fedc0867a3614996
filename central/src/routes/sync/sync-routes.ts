import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { DomainError, ErrorCode } from '@stocksync/shared';
import { type ChainBreakRow, createChainBreaksRepository } from '../../db/chain-breaks-repository';
import { BREAK_REASONS } from '../../db/schema';
import { createStoresRepository } from '../../db/stores-repository';
import { storeHealthPage } from '../../domain/store-health';
import {
  Cursor,
  DateTime,
  decodeCursor,
  ErrorSchema,
  Limit,
  Nullable,
  Page,
  readErrors,
  StoreIdParam,
  toPage,
} from '../common-schemas';
import { StoreSchema } from '../stores/store-schemas';

const SyncQuery = Type.Object(
  { limit: Limit(1000, 500), cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);
const BreaksQuery = Type.Object(
  {
    storeId: Type.Optional(StoreIdParam),
    open: Type.Optional(Type.Boolean({ description: 'true: unresolved only; false: resolved only' })),
    limit: Limit(500, 100),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
const ReconcileSchema = Type.Object({
  storeId: Type.String(),
  result: Type.Union(
    ['match', 'repaired', 'diverged', 'in_flight'].map((r) => Type.Literal(r)),
    { description: 'in_flight: some SKUs had events still on their way (the rest matched or were repaired)' },
  ),
  lastSeq: Type.Optional(Type.Integer({ description: 'the seq both sides were compared at' })),
  skus: Type.Optional(Type.Integer()),
  repaired: Type.Optional(Type.Integer()),
  diverged: Type.Optional(Type.Integer()),
  storeSeq: Type.Optional(Type.Integer()),
  centralSeq: Type.Optional(Type.Integer()),
  pendingSkus: Type.Optional(Type.Integer({ description: 'SKUs not judged: their latest event was on its way' })),
});

const BreakSchema = Type.Object({
  id: Type.Integer(),
  storeId: Type.String(),
  seq: Nullable(Type.Integer()),
  reason: Type.Union(BREAK_REASONS.map((r) => Type.Literal(r))),
  eventId: Nullable(Type.String()),
  eventHash: Nullable(Type.String()),
  detail: Nullable(Type.String()),
  detectedAt: DateTime,
  resolvedAt: Nullable(DateTime),
});

function breakView(row: ChainBreakRow) {
  const { payload: _payload, detectedAt, resolvedAt, ...rest } = row;
  return { ...rest, detectedAt: detectedAt.toISOString(), resolvedAt: resolvedAt?.toISOString() ?? null };
}

/** Sync health per store (DESIGN §6b "sync health everywhere") and the chain-break evidence. */
export const syncRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const storesRepo = createStoresRepository(app.db);
  const breaks = createChainBreaksRepository(app.db);
  const offlineAfter = app.config.STORE_OFFLINE_AFTER_MS;

  app.get(
    '/sync',
    {
      schema: {
        tags: ['sync'],
        summary: 'Per store: lastSeq, lastEventAt, lagMs, online, outbox, chain status',
        querystring: SyncQuery,
        response: { 200: Page(StoreSchema), ...readErrors },
      },
    },
    async (request) => storeHealthPage(storesRepo, request.query, offlineAfter),
  );

  app.get(
    '/sync/breaks',
    {
      schema: {
        tags: ['sync'],
        summary: 'Chain breaks and poison messages, newest first',
        querystring: BreaksQuery,
        response: { 200: Page(BreakSchema), ...readErrors },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const beforeId = cursor ? decodeCursor(cursor, ['number'] as const)[0] : undefined;
      const rows = await breaks.list({ ...filter, beforeId, limit: limit + 1 });
      return toPage(rows, limit, (r) => [r.id], breakView);
    },
  );

  app.post(
    '/sync/reconcile/:storeId',
    {
      schema: {
        tags: ['sync'],
        summary: "Reconcile one store now: compare its state with central's at the same seq, repair central (admin)",
        params: Type.Object({ storeId: StoreIdParam }, { additionalProperties: false }),
        response: { 200: ReconcileSchema, 404: ErrorSchema, 503: ErrorSchema, ...readErrors },
      },
    },
    async (request) => {
      const { storeId } = request.params;
      if (!(await storesRepo.get(storeId))) throw new DomainError(ErrorCode.NOT_FOUND, `Store ${storeId} not found`);
      const outcome = await app.sync.reconciler.reconcile(storeId);
      if (outcome.result === 'unreachable') {
        throw new DomainError(ErrorCode.STORE_UNAVAILABLE, `Store ${storeId} did not answer: ${outcome.error}`);
      }
      return outcome;
    },
  );

  app.post(
    '/sync/breaks/:id/resolve',
    {
      schema: {
        tags: ['sync'],
        summary: 'Mark a chain break as reviewed (admin)',
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
        response: { 200: BreakSchema, 404: ErrorSchema, ...readErrors },
      },
    },
    async (request) => {
      const row = await breaks.resolve(request.params.id, new Date());
      if (!row) throw new DomainError(ErrorCode.NOT_FOUND, `Chain break ${request.params.id} not found`);
      return breakView(row);
    },
  );
};
