import { describe, expect, it } from 'vitest';
import { FrameError, FrameHeaderReader } from '../../broker/frame-guard.js';
import { remainingLength } from '../helpers/mqtt-bytes.js';

/** A packet of the given type with a body of `length` bytes whose values depend on position (so reordering shows). */
function packet(firstByte: number, length: number): Buffer {
  const body = Buffer.alloc(length);
  for (let i = 0; i < length; i++) body[i] = (i * 31 + length) & 0xff;
  return Buffer.concat([Buffer.from([firstByte, ...remainingLength(length)]), body]);
}

const PINGREQ = Buffer.from([0xc0, 0x00]);

interface Fed {
  out: Buffer;
  errors: Error[];
  /** Index of the chunk whose write made the guard fail, if it failed. */
  failedAtChunk?: number;
}

/** Feeds chunks one by one, as a socket delivers them, and collects what passes (everything before the failing chunk). */
async function feed(maxPacketBytes: number, chunks: Buffer[]): Promise<Fed> {
  const reader = new FrameHeaderReader(maxPacketBytes);
  const out: Buffer[] = [];
  for (const [i, chunk] of chunks.entries()) {
    const error = reader.inspect(chunk);
    if (error) return { out: Buffer.concat(out), errors: [error], failedAtChunk: i };
    out.push(chunk);
  }
  return { out: Buffer.concat(out), errors: [] };
}

const code = (error: Error | undefined) => (error instanceof FrameError ? error.code : error?.message);

describe('FrameHeaderReader', () => {
  // Lengths around each Remaining Length size boundary (1, 2 and 3 length bytes), plus empty bodies.
  const stream = Buffer.concat([
    packet(0x10, 40),
    packet(0x32, 0),
    packet(0x32, 1),
    packet(0x30, 127),
    packet(0x30, 128),
    PINGREQ,
    packet(0x82, 300),
    PINGREQ,
  ]);

  it('passes a stream split at every byte boundary through unchanged', async () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const fed = await feed(1024, [stream.subarray(0, cut), stream.subarray(cut)]);
      expect(fed.errors, `cut at ${cut}`).toEqual([]);
      expect(Buffer.compare(fed.out, stream), `cut at ${cut}`).toBe(0);
    }
  });

  it('passes a stream delivered one byte at a time, including 3-byte lengths', async () => {
    const big = Buffer.concat([packet(0x30, 16_383), packet(0x30, 16_384), PINGREQ]);
    const bytes = [...big].map((b) => Buffer.from([b]));
    const fed = await feed(20_000, bytes);
    expect(fed.errors).toEqual([]);
    expect(Buffer.compare(fed.out, big)).toBe(0);
  });

  it('passes many small packets in one chunk, and zero-length packets', async () => {
    const many = Buffer.concat(Array.from({ length: 500 }, (_, i) => (i % 3 === 0 ? PINGREQ : packet(0x30, i % 50))));
    const fed = await feed(64, [many]);
    expect(fed.errors).toEqual([]);
    expect(Buffer.compare(fed.out, many)).toBe(0);

    const pings = Buffer.concat(Array.from({ length: 100 }, () => PINGREQ));
    expect(Buffer.compare((await feed(0, [pings])).out, pings)).toBe(0);
  });

  it('accepts a packet exactly at the limit and refuses one byte over', async () => {
    const limit = 1000;
    const atLimit = await feed(limit, [packet(0x30, limit)]);
    expect(atLimit.errors).toEqual([]);
    const over = await feed(limit, [packet(0x30, limit + 1)]);
    expect(code(over.errors[0])).toBe('packet_too_large');
  });

  it('refuses an oversized packet as soon as its length bytes are read, with no body sent', async () => {
    // 256 MiB - 1 declared; only the fixed header ever arrives.
    const header = [0x30, 0xff, 0xff, 0xff, 0x7f];
    const fed = await feed(1024 * 1024, header.map((b) => Buffer.from([b])));
    expect(code(fed.errors[0])).toBe('packet_too_large');
    expect(fed.failedAtChunk).toBe(header.length - 1);
    // Nothing beyond the header's own bytes went downstream to be buffered by the parser.
    expect(fed.out.length).toBeLessThan(header.length);
  });

  it('refuses an oversized packet that follows valid ones in the same chunk, after passing nothing of it', async () => {
    const fine = Buffer.concat([packet(0x30, 10), PINGREQ]);
    const fed = await feed(100, [fine, Buffer.concat([Buffer.from([0x30, ...remainingLength(5000)]), Buffer.alloc(50)])]);
    expect(code(fed.errors[0])).toBe('packet_too_large');
    expect(fed.failedAtChunk).toBe(1);
    expect(Buffer.compare(fed.out, fine)).toBe(0);
  });

  it('refuses a Remaining Length of five bytes as malformed', async () => {
    const fed = await feed(Number.MAX_SAFE_INTEGER, [Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01])]);
    expect(code(fed.errors[0])).toBe('malformed_length');
    // The largest four-byte length is well-formed (only the limit may refuse it).
    const largest = await feed(Number.MAX_SAFE_INTEGER, [Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f])]);
    expect(largest.errors).toEqual([]);
  });
});
