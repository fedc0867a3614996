export type SseEvent = { event: string; data: string; id?: string };

/**
 * A minimal EventSource over fetch streaming: collects events (and comment lines such as heartbeats)
 * as they arrive; `close()` aborts the request like a browser tab going away.
 */
export async function openSse(url: string, headers: Record<string, string>) {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = res.body?.getReader();
  const pump = (async () => {
    if (!reader) return;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: SseEvent = { event: 'message', data: '' };
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comments.push(line.slice(1).trim());
          else if (line.startsWith('event:')) event.event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
          else if (line.startsWith('id:')) event.id = line.slice(3).trim();
        }
        if (data.length > 0) events.push({ ...event, data: data.join('\n') });
        end = buffer.indexOf('\n\n');
      }
    }
  })().catch(() => undefined);
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    events,
    comments,
    close: async () => {
      controller.abort();
      await pump;
    },
  };
}
