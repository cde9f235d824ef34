/** Encodes a Remaining Length as MQTT does: 7 bits per byte, high bit = more follows ([MQTT-2.2.3]). */
export function remainingLength(n: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return bytes;
}
