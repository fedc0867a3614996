import type pg from 'pg';

/**
 * DESIGN §8.4 observed while the faults happen: samples central's projection twice a second and
 * records any (store, SKU) whose version ever goes down between two samples.
 */
export function watchVersions(pool: pg.Pool, intervalMs = 500) {
  const seen = new Map<string, number>();
  const regressions: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await pool
        .query<{ key: string; version: number }>(`select store_id || '/' || sku as key, version from stock`)
        .catch(() => ({ rows: [] as { key: string; version: number }[] }));
      for (const { key, version } of rows) {
        const before = seen.get(key) ?? 0;
        if (version < before) regressions.push(`regressions: ${key} went from version ${before} to ${version}`);
        seen.set(key, Math.max(before, version));
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    regressions,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
