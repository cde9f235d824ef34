import { io, type Socket } from 'socket.io-client';
import type { TokenSource } from './api.js';
import type {
  ClientToServerEvents,
  LiveFinding,
  LiveReading,
  PresenceChange,
  ServerToClientEvents,
} from '../../contracts/events.js';

/** What the header shows; `connecting` is the first attempt, before any connection existed. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

export interface LiveHandlers {
  state(state: ConnectionState): void;
  reading(reading: LiveReading): void;
  presence(change: PresenceChange): void;
  finding(finding: LiveFinding): void;
  /**
   * Called after every (re)connection once the site subscriptions are answered.
   * Events sent while the page was not subscribed are lost, so the page re-reads
   * the REST state of `subscribed` sites here to catch up.
   */
  subscribed(subscribed: string[], failed: ReadonlyArray<{ siteId: string; message: string }>): void;
  /** The server refused the token: the page returns to the token form. */
  unauthorized(): void;
}

const ACK_TIMEOUT_MS = 10_000;
/** After the server itself disconnects us, socket.io does not retry; we do, once per this delay. */
const SERVER_DISCONNECT_RETRY_MS = 5_000;

/**
 * The live socket: subscribes to the given sites on every (re)connection and
 * forwards the server's events. socket.io reconnects by itself with backoff.
 */
export class LiveConnection {
  private readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private everConnected = false;

  constructor(
    private readonly credentials: TokenSource,
    private readonly siteIds: readonly string[],
    private readonly handlers: LiveHandlers,
  ) {
    // A function, so every (re)connection presents the current access token.
    this.socket = io({ path: '/socket.io', auth: (cb) => cb({ token: credentials.token }), autoConnect: false });
    const socket = this.socket;

    socket.on('connect', () => {
      handlers.state('connected');
      void this.subscribeAll();
    });
    socket.on('disconnect', (reason) => {
      if (this.closed) return;
      if (reason === 'io server disconnect') {
        // The server closed this socket on purpose (its token expired, or access changed);
        // socket.io will not reconnect by itself. Renew the token and come back.
        handlers.state('disconnected');
        void this.credentials.refresh().then((renewed) => {
          if (this.closed) return;
          this.retryTimer = setTimeout(() => socket.connect(), renewed ? 0 : SERVER_DISCONNECT_RETRY_MS);
        });
      } else {
        handlers.state('reconnecting');
      }
    });
    socket.on('connect_error', (error) => {
      if (this.closed) return;
      if (socket.active) {
        // A transport problem (server restarting, network down): socket.io keeps trying.
        handlers.state(this.everConnected ? 'reconnecting' : 'connecting');
        return;
      }
      // Refused by the server's middleware: socket.io gives up. An expired token is renewed once.
      handlers.state('disconnected');
      if (error.message !== 'unauthorized') return;
      void this.credentials.refresh().then((renewed) => {
        if (this.closed) return;
        if (renewed) socket.connect();
        else handlers.unauthorized();
      });
    });
    socket.io.on('reconnect_attempt', () => {
      if (!this.closed) handlers.state(this.everConnected ? 'reconnecting' : 'connecting');
    });
    socket.io.on('reconnect_failed', () => {
      if (!this.closed) handlers.state('disconnected');
    });

    socket.on('reading:new', (reading) => handlers.reading(reading));
    socket.on('device:presence', (change) => handlers.presence(change));
    socket.on('finding:new', (finding) => handlers.finding(finding));
  }

  connect(): void {
    this.handlers.state('connecting');
    this.socket.connect();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.socket.removeAllListeners();
    this.socket.io.removeAllListeners();
    this.socket.disconnect();
  }

  private async subscribeAll(): Promise<void> {
    this.everConnected = true;
    const results = await Promise.all(
      this.siteIds.map(async (siteId) => {
        try {
          const ack = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('site:subscribe', siteId);
          return ack.ok ? { siteId } : { siteId, message: `${ack.code}: ${ack.message}` };
        } catch (error) {
          return { siteId, message: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
    if (this.closed || !this.socket.connected) return;
    const subscribed: string[] = [];
    const failed: Array<{ siteId: string; message: string }> = [];
    for (const r of results) {
      if ('message' in r && r.message !== undefined) failed.push({ siteId: r.siteId, message: r.message });
      else subscribed.push(r.siteId);
    }
    this.handlers.subscribed(subscribed, failed);
  }
}
