/**
 * Each store's clock minus central's, as the store last reported it in a heartbeat (NTP-style, within
 * half a round trip). Event times are the store's; read through this they are central's, so lag
 * figures show how far central trailed, not how far a store PC's clock is off. Every replica hears
 * every heartbeat, so each keeps its own map; until a store's first heartbeat its times are taken as
 * they are.
 */
export class StoreClocks {
  private readonly offsets = new Map<string, number>();

  report(storeId: string, offsetMs: number | null | undefined): void {
    if (typeof offsetMs === 'number') this.offsets.set(storeId, offsetMs);
  }

  /** A time on the store's clock (epoch ms), on central's. */
  toCentral(storeId: string, storeMs: number): number {
    return storeMs - (this.offsets.get(storeId) ?? 0);
  }
}
