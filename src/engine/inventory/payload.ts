import {CUT_MARK} from './limits.js';

/**
 * Turn an MQTT payload into the value we keep. Payloads are bytes and may not be UTF-8: invalid
 * sequences become U+FFFD. Only the first `limit` bytes are decoded, so a 1 MB payload costs nothing.
 * Returns null for a zero-length payload, which deletes the retained value (never stored as "").
 * Homie 5 sends the empty string as the single byte 0x00.
 */
export function decodePayload(payload: Uint8Array, limit: number, v5: boolean): string | null {
  if (payload.length === 0) return null;
  if (v5 && payload.length === 1 && payload[0] === 0) return '';
  const buffer = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (buffer.length <= limit) return buffer.toString('utf8');
  return `${buffer.toString('utf8', 0, limit)}${CUT_MARK}`;
}

/** A Homie number attribute ("42", "-63", "12.5"); anything else is undefined, never NaN. */
export function parseNumber(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** Homie booleans are "true"/"false" (case-sensitive in 4.x; older devices vary, so case is ignored). */
export function parseBoolean(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  return v === 'true' ? true : v === 'false' ? false : undefined;
}
