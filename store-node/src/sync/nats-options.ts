import type { ConnectionOptions } from '@nats-io/transport-node';
import { natsConnectOptions } from '@stocksync/shared';

/**
 * Connection options of every store connection (main thread and publisher thread): credentials taken
 * out of NATS_URL, reply inboxes under `_INBOX.<storeId>` so a per-store NATS user may subscribe to
 * its own replies only, reconnect forever, and no async stack traces (an Error with a stack per
 * publish cost ~8% CPU).
 */
export function storeNatsOptions(natsUrl: string, storeId: string, role: string): ConnectionOptions {
  return {
    ...natsConnectOptions(natsUrl),
    name: `store-${storeId}${role ? `-${role}` : ''}`,
    inboxPrefix: `_INBOX.${storeId}`,
    reconnect: true,
    maxReconnectAttempts: -1,
    waitOnFirstConnect: true,
    reconnectTimeWait: 500,
    pingInterval: 5_000,
    maxPingOut: 2,
    noAsyncTraces: true,
  };
}
