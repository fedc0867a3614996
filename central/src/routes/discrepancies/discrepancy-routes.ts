import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { DomainError, ErrorCode } from '@stocksync/shared';
import { createDiscrepanciesRepository, type DiscrepancyRow } from '../../db/discrepancies-repository';
import { DISCREPANCY_KINDS } from '../../db/schema';
import {
  Cursor,
  DateTime,
  decodeCursor,
  ErrorSchema,
  iso,
  Limit,
  Nullable,
  Page,
  readErrors,
  StoreIdParam,
  toPage,
} from '../common-schemas';

const KindSchema = Type.Union(DISCREPANCY_KINDS.map((k) => Type.Literal(k)));
const DiscrepancySchema = Type.Object({
  id: Type.Integer(),
  kind: KindSchema,
  storeId: Type.String(),
  sku: Type.String(),
  expected: Type.Integer(),
  actual: Type.Integer(),
  ref: Nullable(Type.String()),
  createdAt: DateTime,
  resolvedAt: Nullable(DateTime),
  resolution: Nullable(Type.String()),
});
const ListQuery = Type.Object(
  {
    kind: Type.Optional(KindSchema),
    storeId: Type.Optional(StoreIdParam),
    open: Type.Optional(Type.Boolean({ description: 'true: unresolved only; false: resolved only' })),
    limit: Limit(500, 100),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

function discrepancyView(row: DiscrepancyRow) {
  return { ...row, createdAt: row.createdAt.toISOString(), resolvedAt: iso(row.resolvedAt) };
}

/** Shortfalls HQ must look at (DESIGN §6b): transfers received short, shipments that raced a cancel. */
export const discrepancyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const discrepancies = createDiscrepanciesRepository(app.db);

  app.get(
    '/discrepancies',
    {
      schema: {
        tags: ['transfers'],
        summary: 'Discrepancies, newest first',
        querystring: ListQuery,
        response: { 200: Page(DiscrepancySchema), ...readErrors },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const beforeId = cursor ? decodeCursor(cursor, ['number'] as const)[0] : undefined;
      const rows = await discrepancies.list({ ...filter, beforeId, limit: limit + 1 });
      return toPage(rows, limit, (r) => [r.id], discrepancyView);
    },
  );

  app.post(
    '/discrepancies/:id/resolve',
    {
      schema: {
        tags: ['transfers'],
        summary: 'Record how a discrepancy was settled (admin); resolving again keeps the first resolution',
        params: Type.Object(
          { id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) },
          { additionalProperties: false },
        ),
        body: Type.Object(
          { resolution: Type.String({ minLength: 1, maxLength: 500 }) },
          { additionalProperties: false },
        ),
        response: { 200: DiscrepancySchema, 404: ErrorSchema, ...readErrors },
      },
    },
    async (request) => {
      const row = await discrepancies.resolve(request.params.id, request.body.resolution, new Date());
      if (!row) throw new DomainError(ErrorCode.NOT_FOUND, `Discrepancy ${request.params.id} not found`);
      return discrepancyView(row);
    },
  );
};
