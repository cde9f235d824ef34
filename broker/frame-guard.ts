/** A violation the guard found in the raw byte stream. */
export class FrameError extends Error {
  constructor(
    readonly code: 'packet_too_large' | 'malformed_length',
    message: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

/**
 * Reads MQTT fixed headers as bytes stream past, and reports a violation as soon
 * as a packet declares a Remaining Length above the limit — before its body is
 * buffered. (mqtt-packet buffers a whole packet before parsing it, so a limit
 * checked after parsing would let one client make the broker hold 256 MiB.)
 * A plain object, so one per connection costs a few numbers, not a stream.
 */
export class FrameHeaderReader {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly maxPacketBytes: number) {}

  /** Advances the header state machine over a chunk; returns the first violation. */
  inspect(chunk: Buffer): FrameError | undefined {
    let i = 0;
    while (i < chunk.length) {
      switch (this.state) {
        case 'type':
          i++;
          this.state = 'length';
          this.length = 0;
          this.multiplier = 1;
          this.lengthBytes = 0;
          break;
        case 'length': {
          const byte = chunk[i++]!;
          this.length += (byte & 0x7f) * this.multiplier;
          this.lengthBytes++;
          if (byte & 0x80) {
            // [MQTT-2.2.3] Remaining Length takes at most four bytes.
            if (this.lengthBytes === 4) return new FrameError('malformed_length', 'remaining length longer than four bytes');
            this.multiplier *= 128;
            break;
          }
          if (this.length > this.maxPacketBytes) {
            return new FrameError('packet_too_large', `packet of ${this.length} bytes exceeds the limit of ${this.maxPacketBytes}`);
          }
          this.remaining = this.length;
          this.state = this.remaining === 0 ? 'type' : 'body';
          break;
        }
        case 'body': {
          const take = Math.min(this.remaining, chunk.length - i);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = 'type';
          break;
        }
      }
    }
    return undefined;
  }
}
