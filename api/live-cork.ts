import type { Server } from 'socket.io';

/** The parts of engine.io's WebSocket transport this module touches (not in its typings). */
interface WebSocketTransport {
  name: string;
  send(packets: unknown[]): void;
  /** The `ws` WebSocket, whose `_socket` is the TCP socket. */
  socket?: { _socket?: { cork(): void; uncork(): void } };
}

/**
 * Makes each engine.io flush one TCP write. engine.io sends the packets queued
 * for a socket (everything emitted while its previous write was under way) as
 * one WebSocket frame each, and `ws` writes each frame at once: one syscall per
 * frame. With a thousand dashboards receiving bursts of alert changes that was
 * a quarter of the server's CPU (writev, bench `fanout`). Corking the socket
 * around the loop sends the same frames, in the same order, in one write.
 *
 * It reaches into engine.io and ws internals (the transport's `socket`, ws's
 * `_socket`); where they are missing it changes nothing.
 */
export function corkWebSocketFlushes(io: Server): void {
  io.engine.on('connection', (socket: { transport: WebSocketTransport; on(event: 'upgrade', listener: (t: WebSocketTransport) => void): void }) => {
    corkTransport(socket.transport);
    // A client that started on long-polling moves to WebSocket later.
    socket.on('upgrade', corkTransport);
  });
}

function corkTransport(transport: WebSocketTransport): void {
  const raw = transport.socket?._socket;
  if (transport.name !== 'websocket' || typeof raw?.cork !== 'function' || typeof raw.uncork !== 'function') return;
  const send = transport.send.bind(transport);
  transport.send = (packets) => {
    if (packets.length < 2) return send(packets);
    raw.cork();
    try {
      send(packets);
    } finally {
      raw.uncork();
    }
  };
}
