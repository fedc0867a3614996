import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import { DomainError, ErrorCode } from '@stocksync/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

const EXEMPT_ROUTES = new Set(['/health', '/metrics']);

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

/**
 * Per known bearer token (hashed: raw tokens never sit in the limiter's memory), else per client IP,
 * so rotating made-up tokens does not buy a fresh budget.
 */
function keyGenerator(known: ReadonlySet<string>) {
  return (request: FastifyRequest): string => {
    const header = request.headers.authorization;
    const hash = header?.startsWith('Bearer ') ? digest(header.slice(7).trim()) : undefined;
    return hash && known.has(hash) ? `t:${hash}` : `ip:${request.ip}`;
  };
}

/**
 * Fixed-window rate limit per client, counted in memory per replica (N replicas allow N× the limit;
 * @fastify/rate-limit can count in Redis instead when that matters). Its hook is added before the
 * auth plugin's, so requests with wrong tokens are limited too (by address: no free token guessing).
 * Over the limit: 429 RATE_LIMITED in the shared error shape, with retry-after.
 */
export const rateLimitPlugin = fp<{ perMinute: number; tokens: readonly string[] }>(
  async (app: FastifyInstance, opts) => {
    await app.register(rateLimit, {
      global: false,
      max: opts.perMinute,
      timeWindow: 60_000,
      keyGenerator: keyGenerator(new Set(opts.tokens.map(digest))),
      allowList: (request) => EXEMPT_ROUTES.has(request.routeOptions.url ?? ''),
      errorResponseBuilder: (_request, context) =>
        new DomainError(ErrorCode.RATE_LIMITED, `Rate limit exceeded, retry in ${context.after}`),
    });
    const limit = app.rateLimit();
    app.addHook('onRequest', async function (request, reply) {
      await limit.call(this, request, reply);
    });
  },
  { name: 'rate-limit', fastify: '5.x', dependencies: ['error-handler'] },
);
