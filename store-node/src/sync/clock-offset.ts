import type { FastifyBaseLogger } from 'fastify';

/** Beyond this the store says so in its log: its sale times and HQ's lag figures are off by as much. */
export const CLOCK_OFFSET_WARN_MS = 5_000;
/** An answer slower than this measures the network more than the clocks: it is not used. */
const MAX_ROUND_TRIP_MS = 1_000;

/**
 * This store's clock against central's, measured NTP-style from each answered heartbeat: central stamps
 * its answer, and the store takes the midpoint of its own send and receive times, so the estimate is
 * within half the round trip. Stores keep selling with any clock (holds expire by the store's clock
 * alone); the offset is reported so HQ can read the store's times and lag for what they are.
 */
export function createClockOffset(log: FastifyBaseLogger) {
  let offsetMs: number | null = null;
  let warned = false;
  return {
    onReply(sentAtMs: number, receivedAtMs: number, centralTime: string | undefined): void {
      if (centralTime === undefined) return; // a central of the release before: nothing to compare
      const centralMs = Date.parse(centralTime);
      const roundTripMs = receivedAtMs - sentAtMs;
      if (!Number.isFinite(centralMs) || roundTripMs < 0 || roundTripMs > MAX_ROUND_TRIP_MS) return;
      offsetMs = Math.round((sentAtMs + receivedAtMs) / 2 - centralMs);
      const off = Math.abs(offsetMs) > CLOCK_OFFSET_WARN_MS;
      if (off && !warned)
        log.warn(
          { clockOffsetMs: offsetMs },
          "this store's clock differs from central's: fix its time sync (NTP); its sale times are off by as much",
        );
      else if (!off && warned) log.warn({ clockOffsetMs: offsetMs }, "this store's clock agrees with central's again");
      warned = off;
    },
    /** The store's clock minus central's in ms; null until a central that stamps its answers replied. */
    get offsetMs(): number | null {
      return offsetMs;
    },
  };
}
export type ClockOffset = ReturnType<typeof createClockOffset>;
