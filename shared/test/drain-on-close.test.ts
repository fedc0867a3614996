import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { drainOnClosePlugin, errorHandlerPlugin, serverOptions } from '../src/service';

type Reply = { status: number; headers: http.IncomingHttpHeaders; body: string };

function call(port: number, agent: http.Agent, method: string, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', method, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('closing with keep-alive clients connected', () => {
  const agents: http.Agent[] = [];
  afterEach(() => {
    for (const agent of agents.splice(0)) agent.destroy();
  });

  it('a request arriving on an open connection after closing began is not run and gets 503 SHUTTING_DOWN', async () => {
    const app = Fastify(serverOptions({ logLevel: 'silent', bodyLimit: 1024, logger: false }));
    await app.register(errorHandlerPlugin);
    await app.register(drainOnClosePlugin);
    let writes = 0;
    app.get('/ping', async () => ({ ok: true }));
    app.post('/writes', async () => ({ writes: ++writes }));
    // A slow step of closing (stopping a consumer, say) keeps the idle sockets open meanwhile.
    let closingStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      closingStarted = resolve;
    });
    let finishClosing!: () => void;
    const slowStep = new Promise<void>((resolve) => {
      finishClosing = resolve;
    });
    app.addHook('preClose', async () => {
      closingStarted();
      await slowStep;
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);

    expect((await call(port, agent, 'GET', '/ping')).status).toBe(200);
    const closed = app.close();
    await started;
    const refused = await call(port, agent, 'POST', '/writes');
    finishClosing();
    await closed;

    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ statusCode: 503, code: 'SHUTTING_DOWN' });
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers.connection).toBe('close');
    expect(writes).toBe(0);
  });
});
