/** The short profile runs inside `npm test` (≤ 3 minutes); the long one is run by hand (≥ 100,000 operations). */
export const CHAOS_PROFILES = {
  short: {
    operations: 2_500,
    timeLimitMs: 150_000,
    stores: 3,
    skus: 16,
    lanes: 8,
    faultEvery: 120,
    cutOffEvents: 1_000,
  },
  long: {
    operations: 100_000,
    timeLimitMs: 90 * 60_000,
    stores: 4,
    skus: 40,
    lanes: 12,
    faultEvery: 1_000,
    cutOffEvents: 20_000,
  },
} as const;
export type ChaosProfile = keyof typeof CHAOS_PROFILES;
