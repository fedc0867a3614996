import { type SQL, sql } from 'drizzle-orm';
import { NodePgSession, NodePgTransaction } from 'drizzle-orm/node-postgres';
import pg from 'pg';

/** The fields of drizzle's NodePgSession this needs (private in its typings, plain fields at runtime). */
type SessionFields = { client: unknown; dialect: unknown; schema: unknown; options: unknown };
type TransactionFields = { execute: (query: SQL) => Promise<unknown> };
type Work = (tx: unknown) => Promise<unknown>;

/**
 * drizzle-orm 0.45's node-postgres `transaction()` sends BEGIN before the try/finally that releases the
 * pool client (drizzle-team/drizzle-orm#6241 and #6114, open): a BEGIN that fails, or times out on a
 * server that hangs, leaves that client checked out for the life of the process, and a pool's worth of
 * them leaves central answering 503 to everything until restarted. This is the same method with BEGIN
 * inside the try, and the client released *with* the error (pg-pool then destroys it) whenever BEGIN,
 * COMMIT or ROLLBACK failed, so no connection in an unknown state goes back to the pool.
 * `central/test/database-hang.test.ts` ("gives back the connection of a transaction whose BEGIN timed
 * out") fails without it; remove this when an upgrade fixes the method upstream.
 */
export function releaseClientsOfFailedTransactions(): void {
  const prototype = NodePgSession.prototype as unknown as { transaction: (work: Work, config?: unknown) => unknown };
  prototype.transaction = async function (this: SessionFields, work: Work, config?: unknown) {
    const pooled = this.client instanceof pg.Pool;
    const session = pooled
      ? new NodePgSession(
          (await (this.client as pg.Pool).connect()) as never,
          this.dialect as never,
          this.schema as never,
          this.options as never,
        )
      : (this as unknown as NodePgSession<Record<string, unknown>, never>);
    const tx = new NodePgTransaction(this.dialect as never, session, this.schema as never);
    const run = tx as unknown as TransactionFields & { getTransactionConfigSQL: (c: unknown) => SQL };
    let began = false;
    let broken: Error | undefined;
    try {
      await run.execute(sql`begin${config ? sql` ${run.getTransactionConfigSQL(config)}` : undefined}`);
      began = true;
      const result = await work(tx);
      await run.execute(sql`commit`);
      return result;
    } catch (error) {
      broken = error instanceof Error ? error : new Error(String(error));
      if (began) {
        // A rollback that succeeds leaves a healthy connection; the original error is what the caller gets.
        await run.execute(sql`rollback`).then(
          () => {
            broken = undefined;
          },
          () => undefined,
        );
      }
      throw error;
    } finally {
      if (pooled) (session as unknown as { client: pg.PoolClient }).client.release(broken);
    }
  };
}
