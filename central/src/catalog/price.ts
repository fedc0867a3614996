/**
 * NUMERIC(14,4) comes back from PostgreSQL as text with four decimals ("12.5000"). Shown as money it
 * keeps at least two decimals and drops the other trailing zeros ("12.50", "0.1234"): string work only,
 * so no value ever passes through a binary float.
 */
export function normalizePrice(value: string): string {
  const [whole = '0', fraction = ''] = value.split('.');
  const trimmed = fraction.replace(/0+$/, '');
  return `${whole}.${trimmed.padEnd(2, '0')}`;
}
