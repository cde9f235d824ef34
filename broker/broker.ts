import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import type { Aedes, AedesPublishPacket, Client } from 'aedes';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { AddressGuard, addressKey, type AddressGuardOptions } from './address-guard.js';
import { GuardedConnection } from './guarded-connection.js';
import { DeviceAedes } from './device-aedes.js';
import { createHooks } from './hooks.js';
import type { BrokerPorts } from './ports.js';
import { ReadGate } from './read-gate.js';

export interface BrokerOptions {
  ports: BrokerPorts;
  logger: Logger;
  metrics: Metrics;
  /** Largest MQTT packet accepted (Remaining Length); a larger one closes the connection. */
  maxPacketBytes: number;
  /** A socket that has not sent CONNECT by then is closed. */
  connectTimeoutMs: number;
  /** Largest keepalive a device may ask for; 0 (no keepalive) is refused. */
  maxKeepaliveS: number;
  /** Connect-flood and brute-force limits per client address; {@link DEFAULT_ADMISSION} unless given. */
  admission?: Omit<AddressGuardOptions, 'clock'>;
  /**
   * Device messages between PUBLISH and PUBACK at which the broker stops reading
   * sockets, until half of them are answered ({@link ReadGate}). Default 4,000:
   * two full group commits.
   */
  maxMessagesInFlight?: number;
  clock?: () => number;
}

export const DEFAULT_ADMISSION: Omit<AddressGuardOptions, 'clock'> = {
  maxPendingPerAddress: 64,
  maxPending: 5_000,
  failureLimit: 20,
  distinctIdLimit: 10,
  failureWindowMs: 10 * 60_000,
  banMs: 10 * 60_000,
  maxTracked: 10_000,
};

/** What the broker knows of one connection before aedes does: where it comes from. */
interface Connection {
  address: string;
  /** Called once the device authenticated (or the connection closed): it stops counting as pending. */
  settle(): void;
}

export interface ListenOptions {
  host: string;
  port: number;
  /** Also listen with TLS (mqtts) when a certificate and key are given. */
  tls?: { port: number; cert: Buffer; key: Buffer };
}

export interface BrokerAddresses {
  mqtt: AddressInfo;
  mqtts?: AddressInfo;
}

/**
 * The embedded MQTT broker: aedes behind a frame-size guard, with hooks that
 * authenticate every device and confine it to its own topics.
 */
export class DeviceBroker {
  readonly aedes: Aedes;
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly current = new Map<string, Client>();
  /** The connection behind each stream handed to aedes (aedes's `client.conn`). */
  private readonly connections = new WeakMap<object, Connection>();
  readonly admission: AddressGuard;
  /** Stops reading devices' sockets while too many of their messages wait for a commit. */
  readonly gate: ReadGate;
  private started: Promise<void> | undefined;

  constructor(private readonly options: BrokerOptions) {
    const { logger, metrics, ports } = options;
    const clock = options.clock ?? Date.now;
    this.admission = new AddressGuard({ ...(options.admission ?? DEFAULT_ADMISSION), clock });
    this.gate = new ReadGate(options.maxMessagesInFlight ?? 4_000, (closed) => {
      metrics.mqttReadsPaused.set(closed ? 1 : 0);
      if (closed) metrics.mqttReadPauses.inc();
    });
    const hooks = createHooks({
      ports,
      logger,
      metrics,
      clock,
      gate: this.gate,
      maxKeepaliveS: options.maxKeepaliveS,
      isCurrent: (client) => this.current.get(client.id) === client,
      isBanned: (client) => {
        const address = this.addressOf(client);
        return address !== undefined && this.admission.isBanned(address);
      },
      isLoginBanned: (client, deviceId) => {
        const address = this.addressOf(client);
        return address !== undefined && this.admission.isLoginBanned(address, deviceId);
      },
      loginFailed: (client, deviceId) => {
        const address = this.addressOf(client);
        const ban = address === undefined ? undefined : this.admission.failed(address, deviceId);
        if (ban === 'address') {
          metrics.addressBans.inc();
          logger.warn({ address }, 'mqtt address banned after failed logins of many device ids');
        } else if (ban === 'login') {
          logger.warn({ address, deviceId }, 'mqtt device id refused from this address after repeated failed logins');
        }
      },
    });
    this.aedes = new DeviceAedes({
      ...hooks,
      authorizeForward: hooks.authorizeForward as (client: Client, packet: AedesPublishPacket) => AedesPublishPacket | null,
      connectTimeout: options.connectTimeoutMs,
      // Device ids are up to 64 characters; aedes's default of 23 applies to MQTT 3.1 only.
      maxClientsIdLength: 64,
      maxTopicLevels: 8,
    });
    this.aedes.on('clientReady', (client) => {
      this.connections.get(client.conn)?.settle();
      if (client.conn instanceof GuardedConnection) client.conn.gateReads();
      this.current.set(client.id, client);
      metrics.devicesConnected.set(this.current.size);
      ports.presence(client.id, true, clock());
    });
    this.aedes.on('clientDisconnect', (client) => {
      // A replaced session disconnecting must not mark the device offline.
      if (this.current.get(client.id) !== client) return;
      this.current.delete(client.id);
      metrics.devicesConnected.set(this.current.size);
      ports.presence(client.id, false, clock());
    });
    this.aedes.on('clientError', (client, error) => logger.debug({ clientId: client.id, err: error.message }, 'mqtt client error'));
    this.aedes.on('connectionError', (_client, error) => logger.debug({ err: error.message }, 'mqtt connection error before CONNECT'));
    this.aedes.on('keepaliveTimeout', (client) => logger.info({ clientId: client.id }, 'mqtt keepalive timeout'));
  }

  /** The client's address key, when it came through a listener (not an in-memory test stream). */
  private addressOf(client: Client): string | undefined {
    return this.connections.get(client.conn)?.address;
  }

  /** Number of devices connected now. */
  get connectedDevices(): number {
    return this.current.size;
  }

  /**
   * Ends a device's session now (revoked, secret rotated, site deactivated). Its
   * last will (`{"online":false}`) is published as for any lost connection, and
   * its next CONNECT meets the authenticate hook again. Returns whether the
   * device was connected.
   */
  disconnect(deviceId: string, reason: string): boolean {
    const client = this.current.get(deviceId);
    if (!client) return false;
    this.options.metrics.connectionsClosed.inc({ reason });
    this.options.logger.info({ clientId: deviceId, reason }, 'mqtt session ended by the server');
    client.close();
    return true;
  }

  /**
   * Serves one connection: the raw stream passes the frame guard, then aedes.
   * Tests call this with in-memory duplex streams.
   */
  handle(connection: Duplex, origin?: Connection): void {
    const stream = new GuardedConnection(
      connection,
      this.options.maxPacketBytes,
      (error) => {
        this.options.metrics.connectionsClosed.inc({ reason: error.code });
        this.options.logger.warn({ reason: error.code, err: error.message }, 'mqtt connection closed');
      },
      this.gate,
    );
    if (origin) this.connections.set(stream, origin);
    this.aedes.handle(stream);
  }

  /** Prepares aedes (its persistence); {@link listen} calls it, tests using {@link handle} call it first. */
  start(): Promise<void> {
    this.started ??= this.aedes.listen();
    return this.started;
  }

  async listen(options: ListenOptions): Promise<BrokerAddresses> {
    await this.start();
    const tcp = createTcpServer({ noDelay: true }, (socket) => {
      const connection = this.admit(socket);
      if (connection) this.handle(socket, connection);
    });
    const mqtt = await listenOn(tcp, options.host, options.port);
    this.servers.push(mqtt.server);
    const addresses: BrokerAddresses = { mqtt: mqtt.address };
    if (options.tls) {
      const secure = await listenOn(this.tlsServer(options.tls), options.host, options.tls.port);
      this.servers.push(secure.server);
      addresses.mqtts = secure.address;
    }
    return addresses;
  }

  /**
   * Admits a new TCP connection by its address, before a byte is read: a flood
   * or a banned address costs an accept and a close, and connected devices keep
   * their share. Returns undefined (the socket destroyed) when turned away.
   */
  private admit(socket: Socket): Connection | undefined {
    // A device is not an attacker until it proves one; but an error on one socket never reaches the process.
    socket.on('error', () => undefined);
    const address = addressKey(socket.remoteAddress);
    const refusal = this.admission.admit(address);
    if (refusal) {
      this.options.metrics.connectionsClosed.inc({ reason: refusal });
      socket.destroy();
      return undefined;
    }
    let pending = true;
    const settle = () => {
      if (!pending) return;
      pending = false;
      this.admission.settle(address);
    };
    this.sockets.add(socket);
    socket.once('close', () => {
      settle();
      this.sockets.delete(socket);
    });
    return { address, settle };
  }

  /**
   * The mqtts listener. Admission runs on the raw TCP connection, ahead of the
   * TLS handshake (a handshake costs the server far more than an accept), and a
   * handshake gets as long as a CONNECT would, instead of Node's 120 s.
   */
  private tlsServer(tls: NonNullable<ListenOptions['tls']>): Server {
    // The admitted raw connection behind each TLS socket, by the peer's address and port (unique while it is open).
    const admitted = new Map<string, Connection>();
    const server = createTlsServer(
      { cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2', handshakeTimeout: this.options.connectTimeoutMs },
      (socket) => {
        const connection = admitted.get(peerOf(socket));
        if (!connection) return socket.destroy();
        socket.setNoDelay(true);
        this.handle(socket, connection);
      },
    );
    // Prepended, so a refused socket is destroyed before the TLS layer starts on it.
    server.prependListener('connection', (raw: Socket) => {
      const connection = this.admit(raw);
      if (!connection) return;
      const peer = peerOf(raw);
      admitted.set(peer, connection);
      raw.once('close', () => admitted.delete(peer));
    });
    server.on('tlsClientError', (error, socket) => {
      this.options.logger.debug({ err: error.message }, 'tls handshake failed');
      // Node reports a failed or timed-out handshake here but leaves the socket open: close it.
      socket.destroy();
    });
    return server;
  }

  /** Stops accepting, closes every device session, then the listeners. */
  async close(): Promise<void> {
    for (const server of this.servers) server.close();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise((r) => (s.listening ? s.once('close', r) : r(undefined)))));
  }
}

function peerOf(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}

function listenOn(server: Server, host: string, port: number): Promise<{ server: Server; address: AddressInfo }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ server, address: server.address() as AddressInfo });
    });
  });
}
