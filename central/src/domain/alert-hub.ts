import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { type AlertMessage, AlertMessageSchema, compileValidator, type NatsNames } from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';

const alertMessage = compileValidator(AlertMessageSchema);

export type AlertListener = (alert: AlertMessage) => void;

/**
 * Fan-out of low-stock alert changes to this process's live listeners (SSE clients). Alerts are applied
 * by whichever replica consumed the events, so every replica listens on NATS (`inv.alerts.*`) rather
 * than to its own apply hook: a client connected to any replica sees every change.
 */
export class AlertHub {
  private readonly listeners = new Set<AlertListener>();
  private sub: Subscription | undefined;

  constructor(private readonly deps: { nc: NatsConnection; names: NatsNames; log: FastifyBaseLogger }) {}

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Core NATS publish (at most once): the alerts table is the record, the stream is a notification. */
  publish(alerts: readonly AlertMessage[]): void {
    const { nc, names, log } = this.deps;
    for (const alert of alerts) {
      try {
        nc.publish(names.alertsSubject(alert.storeId), JSON.stringify(alert));
      } catch (error) {
        log.warn({ err: (error as Error).message, alertId: alert.id }, 'alert not published');
      }
    }
  }

  listen(listener: AlertListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    const { nc, names, log } = this.deps;
    this.sub = nc.subscribe(names.alertsSubject('*'), {
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
    this.sub?.unsubscribe();
    this.sub = undefined;
    this.listeners.clear();
  }
}
