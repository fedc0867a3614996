import { describe, expect, it } from 'vitest';
import { judgeSku } from '../src/domain/reconciliation';

const at = (version: number, onHand: number, reserved = 0) => ({ sku: 'X', onHand, reserved, version });

describe('judgeSku: what reconciliation may repair', () => {
  it.each([
    ['equal states', at(4, 7), at(4, 7), 10, 10, null],
    ['same version, other values: central changed behind apply', at(4, 7), at(4, 9), 10, 10, 'repair'],
    ['same version, other reserved', at(4, 7, 2), at(4, 7, 0), 10, 12, 'repair'],
    [
      'central older though its cursor reached the store seq: an effect is missing',
      at(5, 6),
      at(4, 7),
      10,
      10,
      'repair',
    ],
    ['central has no row though its cursor reached the store seq', at(1, 10), undefined, 10, 10, 'repair'],
    ['central older and behind the store seq: still on its way', at(5, 6), at(4, 7), 11, 10, null],
    [
      'busy store: central behind the store seq but past the event that left this state: missing',
      { ...at(5, 6), seq: 8 },
      at(4, 7),
      11,
      10,
      'repair',
    ],
    ['busy store: the event that left this state is not applied yet', { ...at(5, 6), seq: 11 }, at(4, 7), 11, 10, null],
    ['a store that does not say the seq (0) is judged by its lastSeq', { ...at(5, 6), seq: 0 }, at(4, 7), 11, 10, null],
    ['central newer than the store at a seq central had reached: diverged', at(4, 7), at(6, 5), 10, 10, 'diverged'],
    ['central newer, store read at an older seq: central is simply ahead', at(4, 7), at(6, 5), 9, 10, null],
    ['store untouched, central has the SKU at its own seq: diverged', at(0, 0), at(2, 3), 10, 10, 'diverged'],
  ] as const)('%s', (_name, store, central, storeSeq, centralSeq, expected) => {
    expect(judgeSku(store, central, storeSeq, centralSeq)?.kind ?? null).toBe(expected);
  });
});
