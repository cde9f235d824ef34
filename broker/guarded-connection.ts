import { Duplex } from 'node:stream';
import { FrameHeaderReader, type FrameError } from './frame-guard.js';
import type { ReadGate } from './read-gate.js';

/**
 * The connection aedes sees: the socket's bytes, checked by a
 * {@link FrameHeaderReader} as they arrive, and the socket's write side with
 * PUBACKs batched. One stream per connection: the Transform, `Duplex.from` and
 * Writable this replaces held five stream states and their listeners, 8 KiB of
 * heap per idle device (bench `idle`).
 *
 * Writes: while one write is on its way to the kernel, further packets queue in
 * this stream and leave together in one write. A group commit acknowledges
 * ~1,000 messages at once, and one syscall per PUBACK cost 29% of the server's
 * CPU in the benchmark. Backpressure reaches aedes through this stream's buffer.
 *
 * Reads: the socket is read while aedes takes what it is given and, once the
 * device has connected ({@link gateReads}), while the {@link ReadGate} is open.
 * Bytes that arrive while the gate is closed are held here (the socket is paused
 * at once, so at most what it had buffered) and handed to aedes, before the end
 * of the stream, when it opens.
 */
export class GuardedConnection extends Duplex {
  private readonly reader: FrameHeaderReader;
  /** Bytes read while the gate was closed, not yet handed to aedes. */
  private held: Buffer | undefined;
  /** The socket ended while bytes were held: the end follows them. */
  private endAfterHeld = false;
  /** Whether the gate applies: set once the device has connected, so CONNECTs are always read. */
  private gated = false;
  /** Given to the gate to wait on; one function per connection, so it waits once. */
  private readonly gateOpened = () => {
    if (this.destroyed) return;
    const chunk = this.held;
    this.held = undefined;
    if (chunk) {
      const more = this.push(chunk);
      if (this.endAfterHeld) {
        this.push(null);
        return;
      }
      // When aedes's buffer is full, _read resumes the socket once aedes has read it.
      if (!more) return;
    }
    this.socket.resume();
  };

  constructor(
    private readonly socket: Duplex,
    maxPacketBytes: number,
    /** Called once when the guard closes the connection. */
    onViolation: (error: FrameError) => void,
    private readonly gate?: ReadGate,
  ) {
    super();
    this.reader = new FrameHeaderReader(maxPacketBytes);
    socket.on('data', (chunk: Buffer) => {
      const error = this.reader.inspect(chunk);
      if (error) {
        onViolation(error);
        socket.destroy();
        this.destroy();
        return;
      }
      if (this.gated && gate?.isClosed) {
        socket.pause();
        this.held = this.held ? Buffer.concat([this.held, chunk]) : chunk;
        gate.whenOpen(this.gateOpened);
        return;
      }
      // Backpressure: stop reading the socket until aedes has taken what it has.
      if (!this.push(chunk)) socket.pause();
    });
    socket.once('end', () => {
      if (this.held) this.endAfterHeld = true;
      else this.push(null);
    });
    // A device that sent its last messages and hung up while it was not read: those
    // messages are handed over first, and aedes closes this stream at their end.
    socket.once('close', () => {
      if (this.held) this.endAfterHeld = true;
      else this.destroy();
    });
    socket.on('error', (error) => this.destroy(error));
  }

  /** From now on the socket is read only while the gate is open (the device has connected). */
  gateReads(): void {
    this.gated = true;
  }

  override _read(): void {
    // With bytes held, the gate's call hands them over and resumes the socket.
    if (this.held) return;
    if (this.gated && this.gate) this.gate.whenOpen(this.gateOpened);
    else this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.socket.write(chunk, done);
  }

  override _writev(chunks: { chunk: Buffer }[], done: (error?: Error | null) => void): void {
    // One write of the joined bytes: a PUBACK reaches us as two chunks (mqtt-packet
    // writes its header and its packet id apart), and a corked write of each cost
    // the socket a write request per chunk and a writev over 2-byte buffers.
    this.socket.write(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), done);
  }

  override _final(done: (error?: Error | null) => void): void {
    this.socket.end(done);
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.gate?.cancel(this.gateOpened);
    this.socket.destroy(error ?? undefined);
    done(error);
  }
}
