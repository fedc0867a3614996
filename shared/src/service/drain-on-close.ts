import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Graceful close for keep-alive clients (POS terminals keep connections open): once closing starts,
 * answers to the requests still in flight carry `Connection: close`, so their sockets end after the
 * answer instead of holding the server open until the keep-alive timeout.
 */
export const drainOnClosePlugin = fp(
  async (app: FastifyInstance) => {
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    app.addHook('onSend', async (_request, reply) => {
      if (closing) reply.header('connection', 'close');
    });
  },
  { name: 'drain-on-close', fastify: '5.x' },
);
