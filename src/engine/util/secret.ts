import crypto from 'node:crypto';

/** Compares a secret that was sent with the expected one in the same time whatever either holds. */
export function sameSecret(given: string, expected: string): boolean {
  // hashed first: timingSafeEqual needs equal lengths, and the lengths must not leak either
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}
