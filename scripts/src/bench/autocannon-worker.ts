/**
 * Child-process side of load-generator.ts: reads LoadOptions as JSON on stdin, runs autocannon, prints one
 * LoadResult JSON line on stdout. Kept separate so the load has its own event loop.
 */
import autocannon from 'autocannon';
import type { LoadOptions, LoadResult } from './load-generator';
import { Samples } from './stats';

async function readStdin(): Promise<string> {
  let data = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) data += chunk;
  return data;
}

function toAutocannonOptions(o: LoadOptions, durationSec: number): autocannon.Options {
  const headers: Record<string, string> = { ...o.headers };
  const hasBody = o.body !== undefined || (o.bodies?.length ?? 0) > 0;
  if (hasBody && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  const base: autocannon.Options = {
    url: o.url,
    method: o.method ?? (hasBody ? 'POST' : 'GET'),
    headers,
    connections: o.connections,
    pipelining: o.pipelining ?? 1,
    duration: durationSec,
    timeout: o.timeoutSec ?? 10,
    idReplacement: o.idReplacement ?? false,
  };
  if (o.overallRate !== undefined) base.overallRate = o.overallRate;
  if (o.bodies && o.bodies.length > 0) {
    const bodies = o.bodies;
    let next = 0;
    // One request template whose body rotates; the counter is shared by all connections of this process.
    base.requests = [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }];
  } else if (o.body !== undefined) {
    base.body = o.body;
  }
  return base;
}

function run(opts: autocannon.Options, samples?: Samples): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err: unknown, result: autocannon.Result) => {
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve(result);
    });
    if (samples) {
      // autocannon's own histogram stores whole milliseconds; keep exact per-response times instead.
      instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
        if (statusCode >= 200 && statusCode < 300) samples.push(responseTimeMs);
      });
    }
  });
}

async function main(): Promise<void> {
  const options = JSON.parse(await readStdin()) as LoadOptions;
  if (options.warmupSec && options.warmupSec > 0) {
    await run(toAutocannonOptions(options, options.warmupSec));
  }
  const samples = new Samples(1 << 16);
  const result = await run(toAutocannonOptions(options, options.durationSec), samples);
  const s = samples.summary();
  const out: LoadResult = {
    reqPerSec: result.duration > 0 ? result['2xx'] / result.duration : 0,
    p50Ms: s.p50Ms,
    p99Ms: s.p99Ms,
    p999Ms: s.p999Ms,
    maxMs: s.maxMs,
    ok: result['2xx'],
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    durationSec: result.duration,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
