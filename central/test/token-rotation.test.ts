import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteBuckets, send } from './helpers/catalog-helpers';
import { createBackend, metricSeries, startCentral } from './helpers/central-harness';
import { ADMIN_TOKEN, deleteStreams, testConfig, uniquePrefix, VIEWER_TOKEN } from './helpers/test-env';

const OLD_ADMIN = 'old-admin-token-1';
const OLD_VIEWER = 'old-viewer-token-1';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('rotating central tokens: the previous ones keep working, with their role, and are counted', () => {
  let backend: Awaited<ReturnType<typeof createBackend>>;
  let app: FastifyInstance;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    backend = await createBackend('pglite');
    app = await startCentral({
      prefix,
      env: { ...backend.env, HQ_ADMIN_TOKEN_PREVIOUS: OLD_ADMIN, HQ_VIEWER_TOKEN_PREVIOUS: OLD_VIEWER },
    });
  });
  afterAll(async () => {
    await app?.close();
    await deleteStreams(prefix);
    await deleteBuckets(prefix);
    await backend?.cleanup();
  });

  it('accepts current and previous tokens with the same rights, and counts only the previous ones', async () => {
    expect(await metricSeries(app, 'http_retiring_token_requests_total', 'role')).toEqual({ admin: 0, viewer: 0 });
    const product = (sku: string) => ({ sku, name: sku, price: '1.00' });

    expect((await send(app, 'POST', '/products', product('ROT-1'), bearer(ADMIN_TOKEN))).status).toBe(201);
    expect((await send(app, 'POST', '/products', product('ROT-2'), bearer(OLD_ADMIN))).status).toBe(201);
    expect((await send(app, 'GET', '/products/ROT-2', undefined, bearer(VIEWER_TOKEN))).status).toBe(200);
    expect((await send(app, 'GET', '/products/ROT-1', undefined, bearer(OLD_VIEWER))).status).toBe(200);
    // The previous viewer token is still only a viewer token.
    const write = await send(app, 'POST', '/products', product('ROT-3'), bearer(OLD_VIEWER));
    expect(write).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect((await send(app, 'GET', '/products/ROT-3', undefined, bearer(ADMIN_TOKEN))).status).toBe(404);
    expect((await send(app, 'GET', '/products', undefined, bearer('never-issued-token'))).status).toBe(401);

    expect(await metricSeries(app, 'http_retiring_token_requests_total', 'role')).toEqual({ admin: 1, viewer: 2 });
  });

  it('refuses to start when two token settings share a value (a viewer token that could write)', () => {
    expect(() => testConfig({ HQ_VIEWER_TOKEN_PREVIOUS: ADMIN_TOKEN })).toThrow(
      'invalid configuration: HQ_VIEWER_TOKEN_PREVIOUS must differ from HQ_ADMIN_TOKEN',
    );
    expect(() => testConfig({ HQ_VIEWER_TOKEN: ADMIN_TOKEN })).toThrow(
      'invalid configuration: HQ_VIEWER_TOKEN must differ from HQ_ADMIN_TOKEN',
    );
    expect(() => testConfig({ HQ_ADMIN_TOKEN_PREVIOUS: 'short' })).toThrow(/HQ_ADMIN_TOKEN_PREVIOUS/);
  });
});
