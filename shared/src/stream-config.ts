import type { NatsNames } from './nats-names';

const DAY_NS = 86_400 * 1e9;

/**
 * The events stream, created identically by whichever side starts first. It is a transport, not
 * the record: every store keeps its ledger and central its own, so a week of retention is plenty.
 * The dedup window is the publish-retry window; later resends are deduplicated by central's ledger.
 */
export function eventsStreamConfig(names: NatsNames) {
  return {
    name: names.eventsStream,
    subjects: [names.eventsWildcard],
    max_age: 7 * DAY_NS,
    duplicate_window: 120 * 1e9,
  };
}

/** Commands to stores: kept 30 days so a store that was offline for weeks still gets its transfers. */
export function commandsStreamConfig(names: NatsNames) {
  return {
    name: names.commandsStream,
    subjects: [names.commandsWildcard],
    max_age: 30 * DAY_NS,
    duplicate_window: 120 * 1e9,
  };
}
