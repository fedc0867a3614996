import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir } from '@stocksync/shared/service';
import type { FastifyInstance, FastifyReply } from 'fastify';

const ASSETS = {
  'dashboard.js': 'text/javascript; charset=utf-8',
  'api-client.js': 'text/javascript; charset=utf-8',
  'panels.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
} as const;

// Same-origin only: the page loads its own module scripts and styles and calls this API, nothing else.
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const ASSET_DIR = join(packageDir(import.meta.url), 'src', 'dashboard');

function read(name: string): string {
  return readFileSync(join(ASSET_DIR, name), 'utf8');
}

function send(reply: FastifyReply, type: string, body: string) {
  return reply
    .header('content-type', type)
    .header('cache-control', 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', CSP)
    .send(body);
}

/**
 * The HQ dashboard: one static HTML page and its ES modules, read once at start-up and served
 * without a token (the page asks for the viewer token and calls the API with it).
 */
export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  const page = read('index.html');
  const assets = new Map(Object.entries(ASSETS).map(([name, type]) => [name, { type, body: read(name) }]));
  const options = { config: { public: true }, schema: { hide: true } } as const;

  app.get('/', options, async (_request, reply) => send(reply, 'text/html; charset=utf-8', page));
  app.get<{ Params: { file: string } }>('/dashboard/:file', options, async (request, reply) => {
    const asset = assets.get(request.params.file);
    if (!asset)
      return reply.code(404).send({ statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: 'No such file' });
    return send(reply, asset.type, asset.body);
  });
}
