/**
 * NATS_URL may carry credentials (`nats://s1:secret@host:4222`, comma-separated for a cluster), but
 * the nats.js v3 client ignores them in server URLs: split them out into `user`/`pass` options, and
 * keep the server list free of secrets (it is logged).
 */
export function natsConnectOptions(natsUrl: string): { servers: string[]; user?: string; pass?: string } {
  let user: string | undefined;
  let pass: string | undefined;
  const servers = natsUrl
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const at = entry.lastIndexOf('@');
      if (at === -1) return entry;
      const scheme = entry.indexOf('://');
      const start = scheme === -1 ? 0 : scheme + 3;
      const credentials = entry.slice(start, at);
      const colon = credentials.indexOf(':');
      user ??= decodeURIComponent(colon === -1 ? credentials : credentials.slice(0, colon));
      pass ??= colon === -1 ? undefined : decodeURIComponent(credentials.slice(colon + 1));
      return entry.slice(0, start) + entry.slice(at + 1);
    });
  return { servers, ...(user ? { user } : {}), ...(pass !== undefined ? { pass } : {}) };
}
