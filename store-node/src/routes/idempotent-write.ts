import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Runs a synchronous domain effect in the group-commit queue under the request's
 * `Idempotency-Key`, and answers with the stored first answer on a retry.
 */
export async function idempotentWrite<T>(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  statusCode: number,
  effect: () => T,
): Promise<T> {
  const header = request.headers['idempotency-key'];
  const key = typeof header === 'string' ? header : undefined;
  const scope = `${request.method} ${request.url.split('?')[0]}`;
  const outcome = await app.writes.submit(() =>
    app.idempotency.run({ key, scope, body: request.body }, statusCode, effect),
  );
  reply.code(outcome.statusCode);
  if (outcome.replayed) reply.header('idempotent-replayed', 'true');
  return outcome.body;
}
