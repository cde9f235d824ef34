import { connect, type Socket } from 'node:net';

/**
 * A plain TCP connection to the broker for tests that speak raw bytes; it keeps
 * everything the broker sends back, and never throws on a reset.
 */
export interface RawConnection {
  socket: Socket;
  /** Everything received so far. */
  received(): Buffer;
  /** Resolves when the broker (or anyone) closed the connection. */
  closed: Promise<void>;
  /** Resolves once at least `n` bytes have arrived, or the connection closed. */
  bytes(n: number): Promise<Buffer>;
}

/** Opens a connection; `localAddress` (another loopback address, 127.0.0.2…) makes it come from another client address. */
export function rawConnect(url: string, localAddress?: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ port: Number(port), host: hostname, ...(localAddress ? { localAddress } : {}) });
    const chunks: Buffer[] = [];
    let waiters: { n: number; resolve: (b: Buffer) => void }[] = [];
    const received = () => Buffer.concat(chunks);
    const wake = () => {
      const have = received();
      waiters = waiters.filter((w) => {
        if (have.length < w.n && !socket.closed) return true;
        w.resolve(have);
        return false;
      });
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      wake();
    });
    // A reset by the broker is one of the outcomes these tests expect.
    socket.on('error', () => undefined);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    void closed.then(wake);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve({ socket, received, closed, bytes: (n) => new Promise((r) => { waiters.push({ n, resolve: r }); wake(); }) });
    });
    socket.once('error', reject);
  });
}
