import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createTransferApplyHook } from './transfer-apply-hook';
import { createTransferService, type TransferService } from './transfer-service';

declare module 'fastify' {
  interface FastifyInstance {
    transfers: TransferService;
  }
}

/** Two-step transfers: the HQ service and the apply hook that follows the stores' ship/receive events. */
export const transfersPlugin = fp(
  async (app: FastifyInstance) => {
    const wakeRelay = () => app.commandRelay.notify();
    app.decorate('transfers', createTransferService(app.db, wakeRelay));
    app.applyHooks.push(
      createTransferApplyHook({ onCommands: wakeRelay, log: app.log.child({ component: 'transfers' }) }),
    );
  },
  { name: 'transfers', fastify: '5.x', dependencies: ['db', 'sync', 'command-relay'] },
);
