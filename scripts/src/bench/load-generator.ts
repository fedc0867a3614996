import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { onAbort } from './cleanup-registry';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface LoadOptions {
  /** Several URLs (e.g. one per store node) share the connections round-robin; keep connections a multiple. */
  url: string | string[];
  method?: HttpMethod;
  headers?: Record<string, string>;
  /** One body for every request. */
  body?: string;
  /** Bodies sent in rotation across all connections (e.g. sales on different SKUs); wins over `body`. */
  bodies?: string[];
  /** Replace each `[<id>]` in a body with a fresh unique id (autocannon's idReplacement). */
  idReplacement?: boolean;
  connections: number;
  durationSec: number;
  pipelining?: number;
  /** Unmeasured run before the measured one, same settings, so the JIT and pools are warm. */
  warmupSec?: number;
  /** autocannon's fixed rate: each connection sends its per-second quota in a burst at the top of each second. */
  overallRate?: number;
  /**
   * Open loop instead of autocannon: request k is due at k / rate seconds, latency counts from then
   * (open-loop.ts); `connections` is the most sockets per URL.
   */
  openLoopRate?: number;
  timeoutSec?: number;
}

export interface LoadResult {
  /** 2xx responses per second of the measured run. */
  reqPerSec: number;
  /** Latencies of 2xx responses, from the load generator's own sub-millisecond samples. */
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  ok: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  durationSec: number;
  /** Latency at percentiles 0…100 (a distribution curve for the report's charts). */
  latencyCurve: Array<{ p: number; ms: number }>;
  /** 2xx responses in each whole second of the measured run. */
  perSecond: number[];
}

/** Printed by the worker once a second of the measured run. */
export interface LoadTick {
  second: number;
  okPerSec: number;
}

export const DEFAULT_LOAD = { connections: 50, pipelining: 1, durationSec: 5, warmupSec: 1 } as const;

const require = createRequire(import.meta.url);
const WORKER_PATH = fileURLToPath(new URL('./autocannon-worker.ts', import.meta.url));

/**
 * Runs the load (autocannon, or the open-loop generator when `openLoopRate` is set) in a child process,
 * so the load generator has its own event loop (and core) instead of competing with the server under
 * test for the parent's. `onTick` gets the worker's once-a-second counts.
 */
export function runLoad(options: LoadOptions, onTick?: (tick: LoadTick) => void): Promise<LoadResult> {
  const tsxLoader = pathToFileURL(require.resolve('tsx')).href;
  const child = spawn(process.execPath, ['--import', tsxLoader, WORKER_PATH], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const unregister = onAbort(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  const limitMs = ((options.warmupSec ?? 0) + options.durationSec + 30) * 1000;
  return new Promise<LoadResult>((resolve, reject) => {
    let pending = '';
    let last = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`load generator did not finish within ${limitMs} ms`));
    }, limitMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        last = line;
        const tick = parseTick(line);
        if (tick) onTick?.(tick);
      }
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      unregister();
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      unregister();
      if (code !== 0) return reject(new Error(`load generator exited with code ${code}`));
      try {
        resolve(parseResult(pending.trim() || last));
      } catch (err) {
        reject(err);
      }
    });
    child.stdin.end(JSON.stringify(options));
  });
}

function parseTick(line: string): LoadTick | undefined {
  if (!line.startsWith('{"second"')) return undefined;
  return JSON.parse(line) as LoadTick;
}

function parseResult(line: string): LoadResult {
  const parsed: unknown = JSON.parse(line);
  if (typeof parsed !== 'object' || parsed === null || !('reqPerSec' in parsed)) {
    throw new Error(`load generator printed no result: ${line.slice(0, 200)}`);
  }
  return parsed as LoadResult;
}
