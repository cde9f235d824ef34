import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';

export interface Received {
  topic: string;
  json: Record<string, unknown>;
}

/** A plain aedes broker on 127.0.0.1, port 0, that can refuse connections for a while ("outage"). */
export async function startBroker() {
  let down = false;
  const broker = await Aedes.createBroker({
    authenticate: (_client, _username, _password, done) => done(null, !down),
  });
  const received: Received[] = [];
  broker.on('publish', (packet) => {
    if (packet.topic.startsWith('$SYS')) return;
    received.push({ topic: packet.topic, json: JSON.parse(packet.payload.toString()) as Record<string, unknown> });
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    received,
    /** Drops every connection and refuses new ones until `up()`. */
    down() {
      down = true;
      for (const socket of sockets) socket.destroy();
    },
    up() {
      down = false;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}
