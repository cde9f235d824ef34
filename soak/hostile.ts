import { connect } from 'node:net';
import { Random } from '../simulators/random.js';
import { delay } from './devices.js';

export interface HostileCounts {
  /** Connections opened with one of the attacks below. */
  attacks: number;
  /** Of those, closed by the server (at accept, at the header, at the CONNECT, or by the connect timeout). */
  closedByServer: number;
}

/**
 * Hostile clients beside the kill loop's devices, from their own loopback
 * addresses (127.0.0.2…): random garbage, a packet header declaring 250 MiB,
 * CONNECTs with wrong secrets, and sockets that never speak. While the server is
 * down their connections simply fail; that is counted as neither.
 */
export class HostileClients {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly counts: HostileCounts = { attacks: 0, closedByServer: 0 };

  constructor(
    private readonly port: () => number,
    private readonly seed: number,
    /** Pause between attacks, ms. */
    private readonly intervalMs: number,
  ) {}

  get figures(): HostileCounts {
    return { ...this.counts };
  }

  start(): void {
    this.running = true;
    const random = new Random(this.seed);
    this.loop = (async () => {
      while (this.running) {
        void this.attack(random).catch(() => undefined); // a refused connection while the server is down is not an attack
        await delay(this.intervalMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private attack(random: Random): Promise<void> {
    const localAddress = `127.0.0.${random.int(2, 9)}`;
    const bytes = random.pick([
      () => Buffer.from(Array.from({ length: random.int(1, 300) }, () => random.int(0, 255))),
      // PUBLISH declaring 250 MiB [MQTT-2.2.3].
      () => Buffer.from([0x30, 0x80, 0x80, 0x80, 0x7d]),
      () => badConnect(`soak-fridge-${String(random.int(0, 9)).padStart(4, '0')}`, `guess-${random.int(0, 1e9)}`),
      () => Buffer.alloc(0),
    ])();
    return new Promise((resolve, reject) => {
      const socket = connect({ port: this.port(), host: '127.0.0.1', localAddress });
      let opened = false;
      socket.once('connect', () => {
        opened = true;
        this.counts.attacks++;
        if (bytes.length > 0) socket.write(bytes);
      });
      socket.on('error', (error) => {
        if (!opened) reject(error);
      });
      // A silent socket is left to the connect timeout; the others should be closed at once. Past 15 s we hang up ourselves.
      let byUs = false;
      const giveUp = setTimeout(() => {
        byUs = true;
        socket.destroy();
      }, 15_000);
      socket.once('close', () => {
        clearTimeout(giveUp);
        if (opened && !byUs) this.counts.closedByServer++;
        resolve();
      });
    });
  }
}

/** CONNECT (MQTT 3.1.1 §3.1) with a device id as client id and user name, and a wrong password. */
function badConnect(id: string, password: string): Buffer {
  const str = (s: string) => {
    const b = Buffer.from(s);
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  };
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2, 0, 30]), str(id), str(id), str(password)]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}
