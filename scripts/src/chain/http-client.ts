/** Minimal JSON-over-HTTP client for a running central or store node (tests, demo, chaos). */
export type ServiceClient = { url: string; token: string };
export type HttpResult<T> = { status: number; body: T; headers: Headers };

export async function httpCall<T = unknown>(
  client: ServiceClient,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<HttpResult<T>> {
  const res = await fetch(`${client.url}${path}`, {
    method,
    ...(signal ? { signal } : {}),
    headers: {
      authorization: `Bearer ${client.token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as T, headers: res.headers };
}

/** Polls until `done` holds; throws with the last value after the deadline. */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${opts.what ?? 'condition'}; last: ${JSON.stringify(value)}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
