// Blinded item ids for expert rating: the rater sees a prompt and one answer under an id that does
// not say which model answered. The id carries an HMAC of the pair and the variant keyed by the
// stack's admin token, so Gantry can tell the variant back at import and nobody else can.
import { createHmac } from 'node:crypto';

export type RatedVariant = 'stable' | 'candidate';

const tag = (secret: string, pairId: string, variant: RatedVariant): string =>
  createHmac('sha256', secret).update(`${pairId}|${variant}`).digest('base64url').slice(0, 12);

export function blindItemId(secret: string, pairId: string, variant: RatedVariant): string {
  return `${pairId}~${tag(secret, pairId, variant)}`;
}

/** The variant behind an item id, or undefined when the id was not made with this secret. */
export function unblindItemId(secret: string, itemId: string): { pairId: string; variant: RatedVariant } | undefined {
  const at = itemId.lastIndexOf('~');
  if (at <= 0) return undefined;
  const pairId = itemId.slice(0, at);
  const given = itemId.slice(at + 1);
  for (const variant of ['stable', 'candidate'] as const) if (tag(secret, pairId, variant) === given) return { pairId, variant };
  return undefined;
}
