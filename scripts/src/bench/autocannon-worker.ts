/**
 * Child-process side of load-generator.ts: reads LoadOptions as JSON on stdin, runs autocannon (closed
 * loop) or the open-loop generator (`openLoopRate`), prints one LoadResult JSON line on stdout. Kept
 * separate so the load has its own event loop.
 */
import autocannon from 'autocannon';
import type { LoadOptions, LoadResult, LoadTick } from './load-generator';
import { runOpenLoop } from './open-loop';
import { percentile, Samples } from './stats';

async function readStdin(): Promise<string> {
  let data = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) data += chunk;
  return data;
}

/** Headers and method both generators send: JSON content type and POST when there is a body. */
function requestShape(o: LoadOptions): { headers: Record<string, string>; method: string } {
  const headers: Record<string, string> = { ...o.headers };
  const hasBody = o.body !== undefined || (o.bodies?.length ?? 0) > 0;
  if (hasBody && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  return { headers, method: o.method ?? (hasBody ? 'POST' : 'GET') };
}

function toAutocannonOptions(o: LoadOptions, durationSec: number): autocannon.Options {
  const { headers, method } = requestShape(o);
  const base: autocannon.Options = {
    // autocannon spreads connections over several URLs ("More than one URL is allowed"); its types say string.
    url: o.url as string,
    method: method as autocannon.Options['method'],
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

/** What the measured run records besides the generator's own counts. */
interface Recorder {
  samples: Samples;
  /** 2xx responses in each second of the run. */
  perSecond: number[];
}

/** One 2xx answer of the measured run, `startedAt` being the run's start. */
function recordOk(recorder: Recorder, startedAt: number, latencyMs: number): void {
  recorder.samples.push(latencyMs);
  const second = Math.floor((performance.now() - startedAt) / 1000);
  recorder.perSecond[second] = (recorder.perSecond[second] ?? 0) + 1;
}

function run(opts: autocannon.Options, recorder?: Recorder): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    let stopTicker: () => void = () => undefined;
    const instance = autocannon(opts, (err: unknown, result: autocannon.Result) => {
      stopTicker();
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve(result);
    });
    if (!recorder) return;
    const started = performance.now();
    // autocannon's own histogram stores whole milliseconds; keep exact per-response times instead.
    instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
      if (statusCode >= 200 && statusCode < 300) recordOk(recorder, started, responseTimeMs);
    });
    stopTicker = startTicker(recorder);
  });
}

type Counts = { ok: number; errors: number; timeouts: number; non2xx: number; durationSec: number };

/** One line a second for the parent's progress line; the parent keeps only the last line as the result. */
function startTicker(recorder: Recorder): () => void {
  const started = performance.now();
  const ticker = setInterval(() => {
    const second = Math.floor((performance.now() - started) / 1000);
    const tick: LoadTick = { second, okPerSec: recorder.perSecond[second - 1] ?? 0 };
    process.stdout.write(`${JSON.stringify(tick)}\n`);
  }, 1_000);
  return () => clearInterval(ticker);
}

async function runOpen(o: LoadOptions, rate: number, durationSec: number, recorder?: Recorder): Promise<Counts> {
  const counts: Counts = { ok: 0, errors: 0, timeouts: 0, non2xx: 0, durationSec };
  const started = performance.now();
  const stopTicker = recorder ? startTicker(recorder) : () => undefined;
  const { headers, method } = requestShape(o);
  const bodies = o.bodies ?? (o.body !== undefined ? [o.body] : []);
  await runOpenLoop(
    {
      urls: Array.isArray(o.url) ? o.url : [o.url],
      method,
      headers,
      bodies,
      rate,
      durationSec,
      connections: o.connections,
    },
    {
      onResponse(status, latencyMs) {
        if (status < 200 || status >= 300) {
          counts.non2xx++;
          return;
        }
        counts.ok++;
        if (recorder) recordOk(recorder, started, latencyMs);
      },
      onError() {
        counts.errors++;
      },
    },
  );
  stopTicker();
  return counts;
}

async function measure(options: LoadOptions, recorder: Recorder): Promise<Counts> {
  const rate = options.openLoopRate;
  if (rate !== undefined) {
    if (options.warmupSec && options.warmupSec > 0) await runOpen(options, rate, options.warmupSec);
    return runOpen(options, rate, options.durationSec, recorder);
  }
  if (options.warmupSec && options.warmupSec > 0) {
    await run(toAutocannonOptions(options, options.warmupSec));
  }
  const result = await run(toAutocannonOptions(options, options.durationSec), recorder);
  return {
    ok: result['2xx'],
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    durationSec: result.duration,
  };
}

// Up to 99.99 %: a few seconds of load hold 10^4–10^5 samples, so the maximum is one sample, not a percentile.
const CURVE_PERCENTILES = [0, 10, 25, 50, 75, 90, 95, 98, 99, 99.5, 99.9, 99.95, 99.99];

async function main(): Promise<void> {
  const options = JSON.parse(await readStdin()) as LoadOptions;
  const recorder: Recorder = { samples: new Samples(1 << 16), perSecond: [] };
  const result = await measure(options, recorder);
  const s = recorder.samples.summary();
  const sorted = recorder.samples.values().slice().sort();
  const out: LoadResult = {
    reqPerSec: result.durationSec > 0 ? result.ok / result.durationSec : 0,
    p50Ms: s.p50Ms,
    p99Ms: s.p99Ms,
    p999Ms: s.p999Ms,
    maxMs: s.maxMs,
    ok: result.ok,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    durationSec: result.durationSec,
    latencyCurve: CURVE_PERCENTILES.map((p) => ({ p, ms: percentile(sorted, p) })),
    // The last, partial second would read as a drop in throughput.
    perSecond: Array.from(recorder.perSecond.slice(0, Math.floor(result.durationSec)), (n) => n ?? 0),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
