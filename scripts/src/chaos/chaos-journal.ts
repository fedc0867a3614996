/** What the clients were told: the auditor later proves each acknowledged write is where it must be. */
export type AckedWrite = {
  storeId: string;
  kind: string;
  /** The ledger `ref` the store gives the write's events (movement, adjustment, reservation or transfer id). */
  ref: string;
  /** Events the answer promised, by SKU and version when the answer tells them; else by type. */
  events: { sku: string; version?: number; type?: string }[];
};

export type OnlineOrder = { orderRef: string; status: number; id?: string; storeId?: string };
export type TransferRecord = { id: string; from: string; to: string; sku: string; qty: number };

/** One fork event as its answer promised it, and the version the re-entry sealed it at (null: left out). */
export type ForkFate = { sku: string; type: string; version: number; newVersion: number | null };

export class ChaosJournal {
  readonly acked: AckedWrite[] = [];
  readonly posHolds = new Map<number, { storeId: string; id: string }>();
  readonly orders = new Map<number, OnlineOrder>();
  /**
   * Every reservation id central derives for an online hold asked for (from its Idempotency-Key),
   * answered or not: a store may hold one central never recorded (its answer came too late), and a
   * store restored from a backup gets that hold back without its order (central has no row for it).
   */
  readonly onlineHoldIds = new Set<string>();
  readonly transfers = new Map<number, TransferRecord>();
  readonly statuses = new Map<string, number>();
  readonly faults = new Map<string, number>();
  /** Requests that never got a definitive answer within the retry budget. */
  unresolved = 0;
  /** Bad input answered with anything but a 4xx. */
  badInputNot4xx = 0;
  /** 5xx answers that are not a documented 503 (STORE_UNAVAILABLE / DEPENDENCY_UNAVAILABLE). */
  serverErrors: string[] = [];
  /** Plan operations carried out (cut-off bursts come on top). */
  operations = 0;
  duplicatesPublished = 0;
  cutOffEvents = 0;
  /** Events store:recover replayed into stores restored from a backup. */
  restoredEvents = 0;
  /** Restores not carried out (central never held the whole file in time), with why. */
  readonly restoresSkipped: string[] = [];
  /** Fork events `store:recover --reenter-fork` sealed again, and those it left out as misfits. */
  forkEventsReentered = 0;
  forkEventsSkipped = 0;
  /**
   * What became of each fork event, by `storeId|ref`. Answers given on a fork, or replayed later from
   * its idempotency records, promise the fork's versions: the re-entry sealed the event again at
   * `newVersion`, or left it out as a misfit for a count (null), and then it is nothing to find.
   */
  readonly forkFates = new Map<string, ForkFate[]>();

  recordForkFate(storeId: string, ref: string, fate: ForkFate): void {
    const key = `${storeId}|${ref}`;
    this.forkFates.set(key, [...(this.forkFates.get(key) ?? []), fate]);
  }

  count(op: string, status: number): void {
    const key = `${op} ${status}`;
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
  }

  fault(kind: string): void {
    this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1);
  }

  ack(write: AckedWrite): void {
    this.acked.push(write);
  }
}
