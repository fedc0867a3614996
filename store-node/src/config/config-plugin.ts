import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { StoreConfig } from './config';

declare module 'fastify' {
  interface FastifyInstance {
    config: StoreConfig;
  }
}

export const configPlugin = fp<{ config: StoreConfig }>(
  async (app: FastifyInstance, opts) => {
    app.decorate('config', opts.config);
  },
  { name: 'config' },
);
