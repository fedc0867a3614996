import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { type AlertMessage, AlertMessageSchema, compileValidator, type NatsNames } from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { NatsLink } from '../sync/nats-link';

const alertMessage = compileValidator(AlertMessageSchema);

export type AlertListener = (alert: AlertMessage) => void;

/**
 * Core NATS publish (at most once): the alerts table is the record, the stream is a notification.
 * Returns the alerts that could not be handed to the client.
 */
export function publishAlerts(nc: NatsConnection, names: NatsNames, alerts: readonly AlertMessage[]) {
  const failed: Array<{ alert: AlertMessage; error: Error }> = [];
  for (const alert of alerts) {
    try {
      nc.publish(names.alertsSubject(alert.storeId), JSON.stringify(alert));
    } catch (error) {
      failed.push({ alert, error: error as Error });
    }
  }
  return failed;
}

/**
 * Fan-out of low-stock alert changes to this process's live listeners (SSE clients). Alerts are applied
 * by whichever replica consumed the events, so every replica listens on NATS (`inv.alerts.*`) rather
 * than to its own apply hook: a client connected to any replica sees every change.
 */
export class AlertHub {
  private readonly listeners = new Set<AlertListener>();
  private sub: Subscription | undefined;
  private offConnect: (() => void) | undefined;

  constructor(private readonly deps: { nats: NatsLink; log: FastifyBaseLogger }) {}

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** With NATS down there is no one to notify (and no events arrive to change alerts anyway). */
  publish(alerts: readonly AlertMessage[]): void {
    const { nats, log } = this.deps;
    const nc = nats.clients?.nc;
    if (!nc) return;
    for (const { alert, error } of publishAlerts(nc, nats.names, alerts))
      log.warn({ err: error.message, alertId: alert.id }, 'alert not published');
  }

  listen(listener: AlertListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Subscribes on each new NATS connection (a subscription survives the client's reconnects). */
  start(): void {
    this.offConnect = this.deps.nats.onConnect(({ nc }) => this.subscribe(nc));
  }

  private subscribe(nc: NatsConnection): void {
    const { nats, log } = this.deps;
    this.sub = nc.subscribe(nats.names.alertsSubject('*'), {
      callback: (err, msg) => {
        if (err) return;
        let alert: AlertMessage;
        try {
          alert = alertMessage.parse(msg.json());
        } catch (error) {
          log.warn({ err: (error as Error).message, subject: msg.subject }, 'malformed alert message ignored');
          return;
        }
        for (const listener of this.listeners) listener(alert);
      },
    });
  }

  stop(): void {
    this.offConnect?.();
    this.sub?.unsubscribe();
    this.sub = undefined;
    this.listeners.clear();
  }
}
