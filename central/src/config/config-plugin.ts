import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { CentralConfig } from './config';

declare module 'fastify' {
  interface FastifyInstance {
    config: CentralConfig;
  }
}

/** Decorates the validated configuration so every later plugin reads settings from one place. */
export const configPlugin = fp<{ config: CentralConfig }>(
  async (app: FastifyInstance, opts) => {
    app.decorate('config', Object.freeze({ ...opts.config }));
  },
  { name: 'config', fastify: '5.x' },
);
