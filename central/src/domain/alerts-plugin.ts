import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AlertHub } from './alert-hub';
import { lowStockApplyHook } from './low-stock-alerts';

declare module 'fastify' {
  interface FastifyInstance {
    alertHub: AlertHub;
  }
}

/** Low-stock alerts: evaluated in the apply transaction, published on NATS after commit, fanned out to SSE. */
export const alertsPlugin = fp(
  async (app: FastifyInstance) => {
    const hub = new AlertHub({ nats: app.nats, log: app.log.child({ component: 'alerts' }) });
    app.decorate('alertHub', hub);
    app.applyHooks.push(lowStockApplyHook((changed) => hub.publish(changed)));
    app.addHook('onReady', async () => hub.start());
    app.addHook('onClose', async () => hub.stop());
  },
  { name: 'alerts', fastify: '5.x', dependencies: ['db', 'nats', 'sync'] },
);
