import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createAlertsRepository } from '../../db/alerts-repository';
import { decodeCursor, Page, readErrors, toPage } from '../common-schemas';
import { AlertSchema, AlertsQuery, alertView } from './alert-schemas';

/** Low-stock alerts, newest first (keyset on id). */
export const alertsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const repo = createAlertsRepository(app.db);
  app.get(
    '/alerts',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Low-stock alerts (filters: status, storeId, sku)',
        querystring: AlertsQuery,
        response: { 200: Page(AlertSchema), ...readErrors },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const beforeId = cursor ? decodeCursor(cursor, ['number'] as const)[0] : undefined;
      const rows = await repo.list({ ...filter, beforeId, limit: limit + 1 });
      return toPage(rows, limit, (r) => [r.id], alertView);
    },
  );
};
