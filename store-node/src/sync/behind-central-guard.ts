import { compileValidator, type HeartbeatReply, HeartbeatReplySchema } from '@stocksync/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { LedgerRepository } from '../db/repositories/ledger-repository';

const heartbeatReply = compileValidator(HeartbeatReplySchema);

export type BehindCentral = { centralSeq: number; localSeq: number };

/**
 * Compares central's apply cursor for this store (its answer to each heartbeat) with the store's head.
 * Central only holds what the store published after committing it, so central ahead means this file
 * went back in time: restored from a backup, or a new file for an existing store. Its next event would
 * reuse a seq central holds with another hash (a fork that stops central applying this store), so
 * stock changes are refused until `npm run store:recover` brings the file up to central. Central at or
 * below the head again lifts the refusal.
 */
export function createBehindCentralGuard(deps: { ledger: LedgerRepository; log: FastifyBaseLogger }) {
  let behind: BehindCentral | null = null;
  let settle: () => void = () => {};
  const firstAnswer = new Promise<void>((resolve) => {
    settle = resolve;
  });

  return {
    /** Settles at central's first answer, or as soon as it is clear none will come. */
    firstAnswer,

    /** Checks central's answer and returns it parsed (it throws on a malformed one). */
    onReply(data: unknown): HeartbeatReply {
      const reply = heartbeatReply.parse(data);
      const centralSeq = reply.lastSeq;
      const localSeq = deps.ledger.lastSeq();
      if (centralSeq > localSeq) {
        if (!behind) {
          deps.log.error(
            { centralSeq, localSeq },
            'central holds events of this store beyond this file: stock changes refused until store:recover runs',
          );
        }
        behind = { centralSeq, localSeq };
        deps.ledger.halt(
          `This store's file ends at seq ${localSeq} but central has applied its events up to seq ${centralSeq}: ` +
            'it was restored from a backup (or is a new file for an existing store). Stop the node and run ' +
            '`npm run store:recover` (docs/operations.md); stock changes are refused until then.',
        );
      } else if (behind) {
        behind = null;
        deps.ledger.halt(null);
        deps.log.warn({ centralSeq, localSeq }, 'central no longer ahead of this file: stock changes allowed again');
      }
      settle();
      return reply;
    },

    /** No central answered (none running, or one too old to answer heartbeats): nothing to compare. */
    onNoAnswer(): void {
      settle();
    },

    status: (): BehindCentral | null => behind,
  };
}
export type BehindCentralGuard = ReturnType<typeof createBehindCentralGuard>;
