import { ErrorCode } from '@stocksync/shared';
import { type HttpResult, httpCall, type ServiceClient } from '../chain/http-client';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type Answer<T> = (HttpResult<T> & { answered: true }) | { answered: false; status: 0; body: null };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * How a real POS terminal or web shop talks to a service that may be restarting: a request that got
 * no answer (connection refused or reset, timeout) is sent again with the same Idempotency-Key —
 * to the next replica when there are several — until an answer arrives or the budget runs out
 * (status 0). So is a 503 `SHUTTING_DOWN`: the node was closing and did not run the request. Any
 * other answer, whatever its status, is final.
 */
export async function callUntilAnswered<T>(
  targets: () => ServiceClient[],
  method: Method,
  path: string,
  body: unknown,
  idempotencyKey: string | undefined,
  budgetMs: number,
): Promise<Answer<T>> {
  const deadline = Date.now() + budgetMs;
  const headers = idempotencyKey ? { 'idempotency-key': idempotencyKey } : undefined;
  for (let attempt = 0; ; attempt++) {
    const candidates = targets();
    const target = candidates[attempt % candidates.length] as ServiceClient;
    try {
      const result = await httpCall<T>(target, method, path, body, headers, AbortSignal.timeout(20_000));
      if (!wasShuttingDown(result)) return { ...result, answered: true };
    } catch {
      // no answer: try again below
    }
    if (Date.now() > deadline) return { answered: false, status: 0, body: null };
    await sleep(Math.min(1_000, 100 * (attempt + 1)));
  }
}

function wasShuttingDown(result: HttpResult<unknown>): boolean {
  return result.status === 503 && (result.body as { code?: string } | null)?.code === ErrorCode.SHUTTING_DOWN;
}
