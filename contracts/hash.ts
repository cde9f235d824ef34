/**
 * Hashing for spreading, not for security: the simulators seed their random
 * streams with it, and the alert engine spreads its devices' rule-state saves.
 */

/** A 32-bit seed from any mix of numbers and strings (FNV-1a over their text, then a final avalanche). */
export function hashSeed(...parts: Array<string | number>): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const text = `${String(part)}\u0000`;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  }
  // murmur3 fmix32: FNV alone leaves the low bits of similar strings correlated.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
