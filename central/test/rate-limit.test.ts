import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, deleteBuckets, send } from './helpers/catalog-helpers';
import { createBackend, startCentral } from './helpers/central-harness';
import { deleteStreams, uniquePrefix, VIEWER_TOKEN } from './helpers/test-env';

const viewer = { authorization: `Bearer ${VIEWER_TOKEN}` };

describe('rate limit per token and body limit', () => {
  let backend: Awaited<ReturnType<typeof createBackend>>;
  let app: FastifyInstance;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    backend = await createBackend('postgres');
    app = await startCentral({ prefix, env: { ...backend.env, RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(async () => {
    await app?.close();
    await deleteStreams(prefix);
    await deleteBuckets(prefix);
    await backend?.cleanup();
  });

  it('answers 429 RATE_LIMITED past the limit, per token; /health and /metrics are never limited', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(app, 'GET', '/products', undefined, viewer)).status);
    expect(statuses).toEqual([200, 200, 200]);
    const limited = await send(app, 'GET', '/products', undefined, viewer);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED', error: 'Too Many Requests' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

    // The admin token has its own budget; a write past it changes nothing.
    for (let i = 0; i < 3; i++) expect((await send(app, 'GET', '/inventory')).status).toBe(200);
    const write = await send(app, 'POST', '/products', { sku: 'RL-1', name: 'x', price: '1.00' }, adminHeaders);
    expect(write.body.code).toBe('RATE_LIMITED');

    for (let i = 0; i < 10; i++) {
      expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    }
  });

  it('limits requests without a valid token by client address, before auth (no free token guessing)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await app.inject({ method: 'GET', url: '/products', remoteAddress: '10.0.0.9' });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    const guesses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const headers = { authorization: `Bearer guess-${i}-xxxxxxxx` };
      const res = await app.inject({ method: 'GET', url: '/products', headers, remoteAddress: '10.0.0.10' });
      guesses.push(res.statusCode);
    }
    // Made-up tokens share their address's budget: rotating them buys nothing.
    expect(guesses).toEqual([401, 401, 401, 429]);
  });
});

describe('body limit', () => {
  let backend: Awaited<ReturnType<typeof createBackend>>;
  let app: FastifyInstance;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    backend = await createBackend('postgres');
    app = await startCentral({ prefix, env: backend.env });
  });
  afterAll(async () => {
    await app?.close();
    await deleteStreams(prefix);
    await deleteBuckets(prefix);
    await backend?.cleanup();
  });

  it('answers 413 PAYLOAD_TOO_LARGE above 256 KiB and stores nothing', async () => {
    const body = JSON.stringify({ sku: 'BIG-1', name: 'x', price: '1.00', description: 'x'.repeat(300 * 1024) });
    const res = await app.inject({
      method: 'POST',
      url: '/products',
      headers: { ...adminHeaders, 'content-type': 'application/json' },
      payload: body,
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect((await send(app, 'GET', '/products/BIG-1')).status).toBe(404);
  });
});
