/** Talks to central's HQ API with the viewer token: JSON reads, cursor paging, SSE over fetch. */

export class AuthError extends Error {}

export class ApiClient {
  /** @param {string} token */
  constructor(token) {
    this.headers = { authorization: `Bearer ${token}` };
  }

  /** @param {string} path */
  async get(path) {
    const res = await fetch(path, { headers: this.headers });
    if (res.status === 401 || res.status === 403) throw new AuthError(`${res.status}: token refused`);
    if (!res.ok) throw new Error(`GET ${path} → ${res.status}`);
    return res.json();
  }

  /** Every page of a `{items, nextCursor}` list, up to `max` items. */
  async getAll(path, max = 20_000) {
    const items = [];
    let cursor = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const page = await this.get(cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && items.length < max);
    return items;
  }

  /**
   * Server-Sent Events read with fetch, because EventSource cannot send the Authorization header
   * (and a token in the URL would end up in logs). Calls `onEvent(name, data)`; resolves when the
   * stream ends, rejects on an HTTP or network error.
   */
  async stream(path, onEvent, signal) {
    const res = await fetch(path, { headers: { ...this.headers, accept: 'text/event-stream' }, signal });
    if (res.status === 401 || res.status === 403) throw new AuthError(`${res.status}: token refused`);
    if (!res.ok || !res.body) throw new Error(`GET ${path} → ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        dispatch(buffer.slice(0, end), onEvent);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
      }
    }
  }
}

/** One SSE block: `event:` and `data:` lines; comment lines (heartbeats) start with ':'. */
function dispatch(block, onEvent) {
  let name = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) name = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (data.length === 0) return;
  try {
    onEvent(name, JSON.parse(data.join('\n')));
  } catch {
    // A malformed event is skipped; the next snapshot (reconnect) repairs the view.
  }
}
