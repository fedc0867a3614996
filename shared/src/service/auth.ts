import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { DomainError, ErrorCode } from '../error-codes';

export type Role = 'viewer' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** No token needed (health, metrics, docs). */
    public?: boolean;
    /** Role a route needs; by default reads need `viewer` and writes need `admin`. */
    role?: Role;
  }
  interface FastifyRequest {
    role?: Role;
  }
}

export type AuthOptions = { tokens: ReadonlyArray<{ token: string; role: Role }> };

function matches(candidate: Buffer, token: Buffer): boolean {
  return candidate.length === token.length && timingSafeEqual(candidate, token);
}

/**
 * Bearer-token auth with two roles. Tokens are compared in constant time; admin implies viewer.
 * 401 UNAUTHORIZED without a valid token, 403 FORBIDDEN with a token of the wrong role.
 */
export const authPlugin = fp<AuthOptions>(
  async (app: FastifyInstance, opts) => {
    const tokens = opts.tokens.map(({ token, role }) => ({ token: Buffer.from(token), role }));
    const roleOf = (request: FastifyRequest): Role | undefined => {
      const header = request.headers.authorization;
      if (!header?.startsWith('Bearer ')) return undefined;
      const candidate = Buffer.from(header.slice(7).trim());
      return tokens.find((t) => matches(candidate, t.token))?.role;
    };
    app.addHook('onRequest', async (request) => {
      const config = request.routeOptions.config;
      if (config.public || request.is404) return;
      const role = roleOf(request);
      if (!role) throw new DomainError(ErrorCode.UNAUTHORIZED, 'A valid Bearer token is required');
      const needed: Role = config.role ?? (request.method === 'GET' || request.method === 'HEAD' ? 'viewer' : 'admin');
      if (needed === 'admin' && role !== 'admin')
        throw new DomainError(ErrorCode.FORBIDDEN, 'This token may only read');
      request.role = role;
    });
  },
  { name: 'auth', fastify: '5.x' },
);
