import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Counter } from 'prom-client';
import { DomainError, ErrorCode } from '../error-codes';
import { ConfigError } from './config-loader';

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

/** `retiring`: a `*_PREVIOUS` token, still accepted while clients move to the new one, and counted. */
export type AuthToken = { token: string; role: Role; retiring?: boolean };
export type AuthOptions = { tokens: ReadonlyArray<AuthToken> };

/**
 * The tokens of settings that are set; fails start-up (one line naming both settings) when two are
 * equal, since a token matching two roles would get the first one's, e.g. a viewer token that writes.
 */
export function tokensFromSettings(
  settings: ReadonlyArray<{ setting: string; value: string | undefined; role: Role; retiring?: boolean }>,
): AuthToken[] {
  const present = settings.filter((s): s is typeof s & { value: string } => s.value !== undefined);
  present.forEach((a, i) => {
    const twin = present.slice(i + 1).find((b) => b.value === a.value);
    if (twin) throw new ConfigError(`invalid configuration: ${twin.setting} must differ from ${a.setting}`);
  });
  return present.map(({ value, role, retiring }) => ({ token: value, role, ...(retiring ? { retiring } : {}) }));
}

function matches(candidate: Buffer, token: Buffer): boolean {
  return candidate.length === token.length && timingSafeEqual(candidate, token);
}

/**
 * Bearer-token auth with two roles. Tokens are compared in constant time; admin implies viewer.
 * 401 UNAUTHORIZED without a valid token, 403 FORBIDDEN with a token of the wrong role. Requests
 * with a retiring token count in `http_retiring_token_requests_total{role}`: once it stops growing,
 * every client has the new token and the old one can go.
 */
export const authPlugin = fp<AuthOptions>(
  async (app: FastifyInstance, opts) => {
    const tokens = opts.tokens.map(({ token, role, retiring }) => ({ token: Buffer.from(token), role, retiring }));
    const retiringUse = new Counter({
      name: 'http_retiring_token_requests_total',
      help: 'Requests authenticated with a *_PREVIOUS token, by role',
      labelNames: ['role'] as const,
      registers: [app.metrics],
    });
    for (const t of tokens.filter((t) => t.retiring)) {
      retiringUse.inc({ role: t.role }, 0);
      app.log.warn({ role: t.role }, 'a previous token is still accepted: remove it once every client has the new one');
    }
    const match = (request: FastifyRequest) => {
      const header = request.headers.authorization;
      if (!header?.startsWith('Bearer ')) return undefined;
      const candidate = Buffer.from(header.slice(7).trim());
      return tokens.find((t) => matches(candidate, t.token));
    };
    app.addHook('onRequest', async (request) => {
      const config = request.routeOptions.config;
      if (config.public || request.is404) return;
      const token = match(request);
      if (!token) throw new DomainError(ErrorCode.UNAUTHORIZED, 'A valid Bearer token is required');
      const { role } = token;
      if (token.retiring) retiringUse.inc({ role });
      const needed: Role = config.role ?? (request.method === 'GET' || request.method === 'HEAD' ? 'viewer' : 'admin');
      if (needed === 'admin' && role !== 'admin')
        throw new DomainError(ErrorCode.FORBIDDEN, 'This token may only read');
      request.role = role;
    });
  },
  { name: 'auth', fastify: '5.x', dependencies: ['observability'] },
);
