import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { desc } from 'drizzle-orm';
import { transfers } from '../../db/schema';
import { errors } from '../route-schemas';

const TransferView = Type.Object({
  id: Type.String(),
  sku: Type.String(),
  fromStoreId: Type.String(),
  toStoreId: Type.String(),
  qty: Type.Integer(),
  shippedQty: Type.Union([Type.Integer(), Type.Null()]),
  receivedQty: Type.Union([Type.Integer(), Type.Null()]),
  status: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
const DiscrepancyView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  sku: Type.String(),
  expected: Type.Integer(),
  actual: Type.Integer(),
  ref: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  resolvedAt: Type.Union([Type.String(), Type.Null()]),
});

/** What the store has to ship or receive, and what it found missing. */
export const transferRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/transfers',
    {
      schema: { tags: ['transfers'], response: { 200: Type.Object({ items: Type.Array(TransferView) }), ...errors() } },
    },
    async () => ({ items: app.db.select().from(transfers).orderBy(desc(transfers.createdAt)).limit(500).all() }),
  );
  app.get(
    '/discrepancies',
    {
      schema: {
        tags: ['stock'],
        summary: 'Open discrepancies: counts that left holds uncovered, transfers received short',
        response: { 200: Type.Object({ items: Type.Array(DiscrepancyView) }), ...errors() },
      },
    },
    async () => ({ items: app.repos.discrepancies.listOpen() }),
  );
};
