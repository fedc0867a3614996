import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { Gauge, type Registry } from 'prom-client';
import { type Database, rowsOf } from './database';

export type DatabaseClockReading = {
  /** PostgreSQL's clock minus central's, at the midpoint of the sample's round trip. */
  offsetMs: number;
  /** Half that round trip: the true offset lies within offsetMs ± this. */
  uncertaintyMs: number;
};

/**
 * What time it is on PostgreSQL's clock, as central knows it: central's clock plus an offset measured
 * with `clock_timestamp()` (the least delayed of a few samples, as NTP does). Deadlines that
 * PostgreSQL itself checks (recording holds) are computed with it, so a server whose clock is off by
 * more than their margin still refuses on time. Until a reading succeeds the offset is taken as 0.
 */
export function createDatabaseClock(db: Database, opts: { samples?: number; maxRoundTripMs?: number } = {}) {
  const samples = opts.samples ?? 3;
  // A slower sample says little (queued behind other statements, a server busy or hanging): kept out.
  const maxRoundTripMs = opts.maxRoundTripMs ?? 200;
  let reading: DatabaseClockReading | undefined;

  async function sample(): Promise<DatabaseClockReading> {
    const sent = Date.now();
    const result = await db.execute(sql`select (extract(epoch from clock_timestamp()) * 1000)::float8 as "nowMs"`);
    const received = Date.now();
    const [row] = rowsOf<{ nowMs: number | string }>(result);
    const databaseMs = Number(row?.nowMs);
    if (!Number.isFinite(databaseMs)) throw new Error(`clock_timestamp() read as ${String(row?.nowMs)}`);
    return { offsetMs: databaseMs - (sent + received) / 2, uncertaintyMs: (received - sent) / 2 };
  }

  return {
    /** The last good reading, or undefined when none has succeeded yet. */
    get reading(): DatabaseClockReading | undefined {
      return reading;
    },

    /** Central's clock moved onto PostgreSQL's, in epoch milliseconds. */
    now(): number {
      return Date.now() + (reading?.offsetMs ?? 0);
    },

    /** Takes a few samples; keeps the tightest if it is tight enough. Throws when the database fails. */
    async measure(): Promise<DatabaseClockReading | undefined> {
      let best: DatabaseClockReading | undefined;
      for (let i = 0; i < samples; i++) {
        const next = await sample();
        if (!best || next.uncertaintyMs < best.uncertaintyMs) best = next;
      }
      if (best && best.uncertaintyMs * 2 <= maxRoundTripMs) reading = best;
      return reading;
    },
  };
}
export type DatabaseClock = ReturnType<typeof createDatabaseClock>;

/** Beyond this PostgreSQL's clock is worth a warning: a quarter of the hold deadline's 1 s margin. */
const WARN_OFFSET_MS = 250;

/**
 * Measures the offset now and every `everyMs` (a failed reading keeps the last), exposes it as
 * `central_database_clock_offset_seconds` and warns once per excursion past WARN_OFFSET_MS.
 */
export function watchDatabaseClock(deps: {
  clock: DatabaseClock;
  registry: Registry;
  log: FastifyBaseLogger;
  everyMs: number;
}): { ready: Promise<void>; stop: () => void } {
  const { clock, log } = deps;
  new Gauge({
    name: 'central_database_clock_offset_seconds',
    help: "PostgreSQL's clock minus central's (hold deadlines are set on PostgreSQL's clock)",
    registers: [deps.registry],
    collect() {
      if (clock.reading) this.set(clock.reading.offsetMs / 1000);
    },
  });
  let warned = false;
  const check = async () => {
    try {
      const reading = await clock.measure();
      const off = reading !== undefined && Math.abs(reading.offsetMs) > WARN_OFFSET_MS;
      if (off && !warned) log.warn(reading, "PostgreSQL's clock is off from central's; check NTP on both");
      warned = off;
    } catch (err) {
      log.warn({ err }, "could not read PostgreSQL's clock; keeping the last offset");
    }
  };
  const timer = setInterval(check, deps.everyMs);
  timer.unref();
  return { ready: check(), stop: () => clearInterval(timer) };
}
