import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { EVENT_TYPES } from '@stocksync/shared';
import { createLedgerRepository, type LedgerRow } from '../../db/ledger-repository';
import {
  Cursor,
  DateTime,
  decodeCursor,
  Limit,
  Nullable,
  Page,
  readErrors,
  SkuParam,
  StoreIdParam,
  toPage,
} from '../common-schemas';

const EventTypeSchema = Type.Union(EVENT_TYPES.map((t) => Type.Literal(t)));

const MovementsQuery = Type.Object(
  {
    storeId: Type.Optional(StoreIdParam),
    sku: Type.Optional(SkuParam),
    type: Type.Optional(EventTypeSchema),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'occurredAt ≥ since' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'occurredAt < until' })),
    limit: Limit(500, 100),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

const MovementSchema = Type.Object({
  id: Type.Integer({ description: 'ledger position at central' }),
  eventId: Type.String(),
  storeId: Type.String(),
  seq: Type.Integer(),
  type: Type.String(),
  sku: Type.String(),
  delta: Type.Integer(),
  reservedDelta: Type.Integer(),
  onHand: Type.Integer(),
  reserved: Type.Integer(),
  version: Type.Integer(),
  occurredAt: DateTime,
  ref: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  hash: Type.String(),
  appliedAt: DateTime,
});

function movement(row: LedgerRow) {
  const { prevHash: _prev, occurredAt, appliedAt, ...rest } = row;
  return { ...rest, occurredAt: occurredAt.toISOString(), appliedAt: appliedAt.toISOString() };
}

/** The applied ledger, newest first, keyset-paginated on the ledger id. */
export const movementsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ledger = createLedgerRepository(app.db);
  app.get(
    '/movements',
    {
      schema: {
        tags: ['inventory'],
        summary: 'Stock movements (applied store events)',
        querystring: MovementsQuery,
        response: { 200: Page(MovementSchema), ...readErrors },
      },
    },
    async (request) => {
      const { limit, cursor, since, until, ...filter } = request.query;
      const beforeId = cursor ? decodeCursor(cursor, ['number'] as const)[0] : undefined;
      const rows = await ledger.movements({
        ...filter,
        since: since ? new Date(since) : undefined,
        until: until ? new Date(until) : undefined,
        beforeId,
        limit: limit + 1,
      });
      return toPage(rows, limit, (r) => [r.id], movement);
    },
  );
};
