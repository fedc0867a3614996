import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { ConfigError } from './config-loader';

/**
 * Shared `server.ts` body: build the app from validated config, listen, and on SIGTERM/SIGINT stop
 * accepting, drain in-flight requests and close plugins (onClose) within `graceMs`.
 */
export async function runServer(opts: {
  build: () => Promise<FastifyInstance>;
  host: string;
  port: number;
  graceMs?: number;
}): Promise<FastifyInstance> {
  let app: FastifyInstance;
  try {
    app = await opts.build();
  } catch (error) {
    const line = error instanceof ConfigError ? error.message : `startup failed: ${(error as Error).message}`;
    process.stderr.write(`${line}\n`);
    process.exit(1);
  }
  closeWithGrace({ delay: opts.graceMs ?? 10_000 }, async ({ err, signal }) => {
    if (err) app.log.error({ err }, 'closing after error');
    else app.log.info({ signal }, 'closing');
    await app.close();
  });
  await app.listen({ host: opts.host, port: opts.port });
  return app;
}
