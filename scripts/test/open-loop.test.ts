import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { responseEnd, runOpenLoop } from '../src/bench/open-loop';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** An HTTP server answering every request after `delayMs`, counting what it saw. */
async function serve(delayMs: number): Promise<{ url: string; seen: { requests: number; bodies: string[] } }> {
  const seen = { requests: 0, bodies: [] as string[] };
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      seen.requests++;
      seen.bodies.push(body);
      setTimeout(() => res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}'), delayMs);
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sales`, seen };
}

describe('open-loop load generator', () => {
  it('finds where a response ends: by content-length, chunked, or not yet', () => {
    const full = Buffer.from('HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1');
    expect(responseEnd(full)).toEqual({ end: full.indexOf('HTTP/1.1', 1), status: 201 });
    expect(responseEnd(Buffer.from('HTTP/1.1 409 Conflict\r\ncontent-length: 10\r\n\r\nshort')).end).toBe(-1);
    expect(responseEnd(Buffer.from('HTTP/1.1 200 OK\r\nContent-Len')).end).toBe(-1);
    const chunked = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n');
    expect(responseEnd(chunked)).toEqual({ end: chunked.length, status: 200 });
  });

  it('sends rate × duration requests with the given bodies in rotation and records every answer', async () => {
    const { url, seen } = await serve(0);
    const statuses: number[] = [];
    const { issued } = await runOpenLoop(
      {
        urls: [url],
        method: 'POST',
        headers: {},
        bodies: ['{"n":1}', '{"n":2}'],
        rate: 200,
        durationSec: 1,
        connections: 4,
      },
      { onResponse: (status) => statuses.push(status), onError: () => expect.unreachable() },
    );
    expect(issued).toBe(200);
    expect(statuses).toHaveLength(200);
    expect(statuses.every((s) => s === 201)).toBe(true);
    expect(seen.requests).toBe(200);
    expect(seen.bodies.filter((b) => b === '{"n":2}')).toHaveLength(100);
  });

  it('counts latency from when a request was due, so a slow server cannot hide its queue', async () => {
    // One connection, 50 ms per answer, 100 requests due within 0.5 s: the last waits ~4.5 s for its turn.
    const { url } = await serve(50);
    const latencies: number[] = [];
    await runOpenLoop(
      { urls: [url], method: 'GET', headers: {}, bodies: [], rate: 200, durationSec: 0.5, connections: 1 },
      { onResponse: (_status, ms) => latencies.push(ms), onError: () => expect.unreachable() },
    );
    expect(latencies).toHaveLength(100);
    // A closed-loop client would report ~50 ms for every request.
    expect(Math.max(...latencies)).toBeGreaterThan(3_000);
    expect(latencies[99]! > latencies[10]!).toBe(true);
  }, 20_000);
});
