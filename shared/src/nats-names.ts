/**
 * Subject, stream and bucket names (DESIGN §4). `prefix` namespaces a whole deployment so tests (and
 * staging next to production on one NATS) never share a stream; production uses the empty prefix.
 */
export function natsNames(prefix = '') {
  const p = prefix ? `${prefix}.` : '';
  const s = prefix ? `${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}_` : '';
  return {
    eventsStream: `${s}INV_EVENTS`,
    eventsWildcard: `${p}inv.events.>`,
    eventsSubject: (storeId: string) => `${p}inv.events.${storeId}`,
    commandsStream: `${s}INV_COMMANDS`,
    commandsWildcard: `${p}inv.commands.>`,
    commandsSubject: (storeId: string) => `${p}inv.commands.${storeId}`,
    commandsDurable: (storeId: string) => `store-${storeId}`,
    catalogBucket: `${s}INV_CATALOG`,
    storeSettingsBucket: `${s}INV_STORE_SETTINGS`,
    /** Core NATS (not JetStream): a store's periodic liveness + outbox depth, so central knows last contact. */
    heartbeatSubject: (storeId: string) => `${p}inv.heartbeat.${storeId}`,
    heartbeatWildcard: `${p}inv.heartbeat.*`,
    alertsSubject: (storeId: string) => `${p}inv.alerts.${storeId}`,
    reserveSubject: (storeId: string) => `${p}inv.rpc.${storeId}.reserve`,
    resendSubject: (storeId: string) => `${p}inv.rpc.${storeId}.resend`,
    stateSubject: (storeId: string) => `${p}inv.rpc.${storeId}.state`,
    centralDurable: 'central-apply',
  };
}
export type NatsNames = ReturnType<typeof natsNames>;
