import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface LoadOptions {
  url: string;
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
  /** Fixed request rate over all connections; unset means as fast as the server answers. */
  overallRate?: number;
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
}

export const DEFAULT_LOAD = { connections: 50, pipelining: 1, durationSec: 5, warmupSec: 1 } as const;

const require = createRequire(import.meta.url);
const WORKER_PATH = fileURLToPath(new URL('./autocannon-worker.ts', import.meta.url));

/**
 * Runs autocannon in a child process, so the load generator has its own event loop (and core) instead of
 * competing with the server under test for the parent's.
 */
export function runAutocannon(options: LoadOptions): Promise<LoadResult> {
  const tsxLoader = pathToFileURL(require.resolve('tsx')).href;
  const child = spawn(process.execPath, ['--import', tsxLoader, WORKER_PATH], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const limitMs = ((options.warmupSec ?? 0) + options.durationSec + 30) * 1000;
  return new Promise<LoadResult>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`load generator did not finish within ${limitMs} ms`));
    }, limitMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`load generator exited with code ${code}`));
      try {
        resolve(parseResult(stdout));
      } catch (err) {
        reject(err);
      }
    });
    child.stdin.end(JSON.stringify(options));
  });
}

function parseResult(stdout: string): LoadResult {
  const lastLine = stdout.trim().split('\n').at(-1) ?? '';
  const parsed: unknown = JSON.parse(lastLine);
  if (typeof parsed !== 'object' || parsed === null || !('reqPerSec' in parsed)) {
    throw new Error(`load generator printed no result: ${stdout.slice(0, 200)}`);
  }
  return parsed as LoadResult;
}
