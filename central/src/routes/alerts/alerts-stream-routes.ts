import fastifySse from '@fastify/sse';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AlertMessage } from '@stocksync/shared';
import { createAlertsRepository } from '../../db/alerts-repository';
import { AlertsStreamQuery, alertView } from './alert-schemas';

const PAGE = 500;

/**
 * GET /alerts/stream (SSE, viewer): every open alert first (`alert` events, then one `ready`), then
 * live open/resolve changes. Comment heartbeats keep proxies from closing an idle stream; the listener
 * goes away with the client. Event ids are `<alertId>:<status>`.
 */
export const alertsStreamRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(fastifySse, { heartbeatInterval: app.config.SSE_HEARTBEAT_MS });
  const repo = createAlertsRepository(app.db);
  const hub = app.alertHub;
  const streams = new Set<() => void>();
  // Open streams would keep the server from closing: end them first.
  app.addHook('preClose', async () => {
    for (const close of streams) close();
  });

  app.get(
    '/alerts/stream',
    {
      sse: 'only',
      schema: {
        tags: ['alerts'],
        summary: 'Live low-stock alerts (Server-Sent Events): open alerts first, then changes',
        querystring: AlertsStreamQuery,
      },
    },
    async (request, reply) => {
      const { storeId, sku } = request.query;
      const wanted = (a: AlertMessage) => (!storeId || a.storeId === storeId) && (!sku || a.sku === sku);
      const sse = reply.sse;
      let chain: Promise<void> = Promise.resolve();
      const send = (event: string, data: unknown, id?: string) => {
        chain = chain
          .then(() => (sse.isConnected ? sse.send({ event, data, ...(id ? { id } : {}) }) : undefined))
          .catch(() => undefined);
        return chain;
      };
      const sendAlert = (a: AlertMessage) => send('alert', a, `${a.id}:${a.status}`);

      // Listen before reading the snapshot so no change falls between the two; replays are skipped.
      const early: AlertMessage[] = [];
      let live = false;
      const unlisten = hub.listen((a) => {
        if (!wanted(a)) return;
        if (live) void sendAlert(a);
        else early.push(a);
      });
      const close = () => sse.close();
      streams.add(close);
      sse.onClose(() => {
        unlisten();
        streams.delete(close);
      });
      sse.keepAlive();
      sse.sendHeaders();

      const sent = new Set<string>();
      let beforeId: number | undefined;
      try {
        for (;;) {
          const rows = await repo.list({ status: 'open', storeId, sku, beforeId, limit: PAGE });
          for (const row of rows) {
            const alert = alertView(row);
            sent.add(`${alert.id}:${alert.status}`);
            void sendAlert(alert);
          }
          if (rows.length < PAGE || !sse.isConnected) break;
          beforeId = rows.at(-1)?.id;
        }
      } catch (error) {
        // Headers are out already: end the stream; the client's EventSource reconnects.
        request.log.warn({ err: error }, 'alert stream snapshot failed');
        sse.close();
        return;
      }
      await send('ready', { open: sent.size });
      for (const a of early) if (!sent.has(`${a.id}:${a.status}`)) void sendAlert(a);
      live = true;
      await chain;
    },
  );
};
