import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ErrorCode } from '../error-codes';

/**
 * Graceful close for keep-alive clients (POS terminals keep connections open):
 * - answers to the requests still in flight carry `Connection: close`, so their sockets end after the
 *   answer instead of holding the server open until the keep-alive timeout;
 * - a request that arrives on such a socket after closing began is not run: it gets 503
 *   `SHUTTING_DOWN` with `Retry-After`, so a client knows it changed nothing and sends it again (same
 *   Idempotency-Key) to the restarted node or another replica. Fastify's own closing 503 carries no
 *   `code`, which a client cannot tell from a failure (serverOptions turns it off).
 */
export const drainOnClosePlugin = fp(
  async (app: FastifyInstance) => {
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    app.addHook('onRequest', (_request, reply, done) => {
      if (!closing) return done();
      reply.header('retry-after', '1').status(503).send({
        statusCode: 503,
        code: ErrorCode.SHUTTING_DOWN,
        error: 'Service Unavailable',
        message: 'The service is shutting down and did not run this request; send it again',
      });
    });
    app.addHook('onSend', async (_request, reply) => {
      if (closing) reply.header('connection', 'close');
    });
  },
  { name: 'drain-on-close', fastify: '5.x' },
);
