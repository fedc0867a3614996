/**
 * Stops whatever a section started (store nodes, central, load generators) when the section cannot do it
 * itself: it timed out and is still awaiting, or the run was interrupted. Sections still clean up in their
 * own `finally`; a cleanup registered here must be safe to run twice.
 */
const cleanups = new Set<() => Promise<void>>();

/** Registers `cleanup`; call the returned function once the section has cleaned up by itself. */
export function onAbort(cleanup: () => Promise<void>): () => void {
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

/** Runs every registered cleanup, in parallel, and forgets them. */
export async function runCleanups(): Promise<void> {
  const pending = [...cleanups];
  cleanups.clear();
  await Promise.allSettled(pending.map((c) => c()));
}
