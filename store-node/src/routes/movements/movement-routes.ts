import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { SkuSchema } from '@stocksync/shared';
import { idempotentWrite } from '../idempotent-write';
import { IdempotencyHeaders, LineResult, Lines, MAX_LINE_QTY, Ref, writeErrors } from '../route-schemas';

const MovementBody = Type.Object(
  { lines: Lines, ref: Type.Optional(Ref) },
  {
    additionalProperties: false,
    examples: [
      { lines: [{ sku: 'GRO-001', qty: 2 }] },
      {
        lines: [
          { sku: 'GRO-001', qty: 1 },
          { sku: 'HOM-012', qty: 3 },
        ],
        ref: 'ticket-0042',
      },
    ],
  },
);
const MovementResult = Type.Object({ id: Type.String(), occurredAt: Type.String(), lines: Type.Array(LineResult) });
const Reason = Type.String({ minLength: 1, maxLength: 200 });
const AdjustmentBody = Type.Union(
  [
    Type.Object(
      {
        sku: SkuSchema,
        delta: Type.Union([
          Type.Integer({ minimum: 1, maximum: MAX_LINE_QTY }),
          Type.Integer({ minimum: -MAX_LINE_QTY, maximum: -1 }),
        ]),
        reason: Reason,
      },
      { additionalProperties: false },
    ),
    Type.Object(
      { sku: SkuSchema, countedOnHand: Type.Integer({ minimum: 0, maximum: 100 * MAX_LINE_QTY }), reason: Reason },
      { additionalProperties: false },
    ),
  ],
  {
    examples: [
      { sku: 'GRO-001', delta: -1, reason: 'damaged' },
      { sku: 'GRO-001', countedOnHand: 12, reason: 'cycle count' },
    ],
  },
);
const AdjustmentResult = Type.Object({
  id: Type.String(),
  occurredAt: Type.String(),
  sku: Type.String(),
  qty: Type.Integer(),
  delta: Type.Integer(),
  onHand: Type.Integer(),
  reserved: Type.Integer(),
  available: Type.Integer(),
  version: Type.Integer(),
  discrepancy: Type.Union([Type.Object({ id: Type.String(), uncoveredHolds: Type.Integer() }), Type.Null()]),
});

const movementSchema = (summary: string) => ({
  tags: ['pos'],
  summary,
  headers: IdempotencyHeaders,
  body: MovementBody,
  response: { 201: MovementResult, ...writeErrors(404, 409) },
});

/** POS stock movements. Each commits locally (group commit) and never waits for the network. */
export const movementRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/sales',
    { schema: movementSchema('Sell: all lines or none (409 INSUFFICIENT_STOCK names short lines)') },
    async (request, reply) => {
      const result = await idempotentWrite(app, request, reply, 201, () => app.inventory.sell(request.body.lines));
      app.storeMetrics.salesTotal.inc();
      app.storeMetrics.saleLinesTotal.inc(result.lines.length);
      return result;
    },
  );

  app.post('/returns', { schema: movementSchema('Customer return: stock comes back') }, async (request, reply) =>
    idempotentWrite(app, request, reply, 201, () => app.inventory.acceptReturn(request.body.lines, request.body.ref)),
  );

  app.post('/receipts', { schema: movementSchema('Goods received from a supplier') }, async (request, reply) =>
    idempotentWrite(app, request, reply, 201, () => app.inventory.receive(request.body.lines, request.body.ref)),
  );

  app.post(
    '/adjustments',
    {
      schema: {
        tags: ['pos'],
        summary: 'Correct stock by a delta, or set it to a counted quantity; always with a reason',
        headers: IdempotencyHeaders,
        body: AdjustmentBody,
        response: { 201: AdjustmentResult, ...writeErrors(404, 409) },
      },
    },
    async (request, reply) => idempotentWrite(app, request, reply, 201, () => app.inventory.adjust(request.body)),
  );
};
