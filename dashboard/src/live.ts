import { io, type Socket } from 'socket.io-client';
import type { TokenSource } from './api.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../contracts/events.js';
import type { LiveEvent, LiveEvents, LiveHub } from './views/view.js';

/** What the header shows; `connecting` is the first attempt, before any connection existed. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

export interface LiveShellHandlers {
  /** The connection state changed; the header shows it. */
  state(state: ConnectionState): void;
  /** The server refused the token and it could not be renewed: the page returns to the login form. */
  unauthorized(): void;
  /** A site subscription was refused or not answered; it is retried (`retryInMs`) while the site is watched. */
  subscribeFailed?(siteId: string, message: string, retryInMs: number): void;
  /** A site subscription that had failed went through (views are then asked to re-read), or the site is no longer watched. */
  subscribeRecovered?(siteId: string): void;
}

const ACK_TIMEOUT_MS = 10_000;
/** After the server itself disconnects us, socket.io does not retry; we do, once per this delay. */
const SERVER_DISCONNECT_RETRY_MS = 5_000;
/** A failed site subscription is tried again after this delay, doubling up to the maximum. */
const SUBSCRIBE_RETRY_MS = 2_000;
const SUBSCRIBE_RETRY_MAX_MS = 60_000;

const FORWARDED: readonly LiveEvent[] = ['reading:new', 'device:presence', 'finding:new'];

type AnyHandler = (...args: unknown[]) => void;

/**
 * The page's one live socket, shared by every view ({@link LiveHub}).
 *
 * - Site rooms are counted per watcher: the room is joined when the first view
 *   watches a site and left when the last one stops.
 * - On every (re)connection it joins every watched room again and then calls
 *   the resync handlers, so views re-read over REST what they missed while the
 *   socket was down (events sent while not subscribed are not replayed).
 * - socket.io reconnects by itself after network trouble; when the server drops
 *   the socket on purpose (expired token, changed access) it renews the token and
 *   connects again.
 */
export class LiveSocket implements LiveHub {
  private readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  private readonly watchers = new Map<string, number>();
  private readonly listeners = new Map<LiveEvent, Set<AnyHandler>>();
  private readonly resyncHandlers = new Set<() => void>();
  /** Sites whose subscription failed: the next retry's timer and delay. */
  private readonly failedSubscriptions = new Map<string, { timer: ReturnType<typeof setTimeout> | undefined; delayMs: number }>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private everConnected = false;
  private current: ConnectionState = 'disconnected';

  constructor(
    private readonly credentials: TokenSource,
    private readonly handlers: LiveShellHandlers,
  ) {
    // A function, so every (re)connection presents the current access token.
    this.socket = io({ path: '/socket.io', auth: (cb) => cb({ token: credentials.token }), autoConnect: false });
    const socket = this.socket;

    socket.on('connect', () => {
      this.everConnected = true;
      this.setState('connected');
      void this.resubscribe();
    });
    socket.on('disconnect', (reason) => {
      if (this.closed) return;
      if (reason === 'io server disconnect') {
        // The server closed this socket on purpose (its token expired, or access changed);
        // socket.io will not reconnect by itself. Renew the token and come back.
        this.setState('disconnected');
        void this.credentials.refresh().then((renewed) => {
          if (this.closed) return;
          this.retryTimer = setTimeout(() => socket.connect(), renewed ? 0 : SERVER_DISCONNECT_RETRY_MS);
        });
      } else {
        this.setState('reconnecting');
      }
    });
    socket.on('connect_error', (error) => {
      if (this.closed) return;
      if (socket.active) {
        // A transport problem (server restarting, network down): socket.io keeps trying.
        this.setState(this.everConnected ? 'reconnecting' : 'connecting');
        return;
      }
      // Refused by the server's middleware: socket.io gives up. An expired token is renewed once.
      this.setState('disconnected');
      if (error.message !== 'unauthorized') return;
      void this.credentials.refresh().then((renewed) => {
        if (this.closed) return;
        if (renewed) socket.connect();
        else handlers.unauthorized();
      });
    });
    socket.io.on('reconnect_attempt', () => {
      if (!this.closed) this.setState(this.everConnected ? 'reconnecting' : 'connecting');
    });
    socket.io.on('reconnect_failed', () => {
      if (!this.closed) this.setState('disconnected');
    });

    for (const event of FORWARDED) {
      (socket.on as (event: string, handler: AnyHandler) => void)(event, (...args) => this.dispatch(event, args));
    }
    socket.on('alerts', (changes) => {
      for (const change of changes) this.dispatch(change.event, [change.alert]);
    });
  }

  get state(): ConnectionState {
    return this.current;
  }

  connect(): void {
    this.setState('connecting');
    this.socket.connect();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    for (const failed of this.failedSubscriptions.values()) clearTimeout(failed.timer);
    this.failedSubscriptions.clear();
    this.listeners.clear();
    this.resyncHandlers.clear();
    this.watchers.clear();
    this.socket.removeAllListeners();
    this.socket.io.removeAllListeners();
    this.socket.disconnect();
  }

  on<E extends LiveEvent>(event: E, handler: LiveEvents[E]): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    // Wrapped, so the same function registered twice is two listeners with two stop functions.
    const entry: AnyHandler = (...args) => (handler as AnyHandler)(...args);
    set.add(entry);
    return () => set.delete(entry);
  }

  watchSite(siteId: string): () => void {
    const count = this.watchers.get(siteId) ?? 0;
    this.watchers.set(siteId, count + 1);
    if (count === 0 && this.socket.connected) void this.subscribe(siteId);
    let stopped = false;
    return () => {
      if (stopped || this.closed) return;
      stopped = true;
      const left = (this.watchers.get(siteId) ?? 1) - 1;
      if (left > 0) {
        this.watchers.set(siteId, left);
        return;
      }
      this.watchers.delete(siteId);
      const failed = this.failedSubscriptions.get(siteId);
      if (failed) {
        clearTimeout(failed.timer);
        this.failedSubscriptions.delete(siteId);
        this.handlers.subscribeRecovered?.(siteId);
      }
      if (this.socket.connected) this.socket.emit('site:unsubscribe', siteId, () => undefined);
    };
  }

  onResync(handler: () => void): () => void {
    const entry = () => handler();
    this.resyncHandlers.add(entry);
    return () => this.resyncHandlers.delete(entry);
  }

  private dispatch(event: LiveEvent, args: unknown[]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const handler of [...set]) {
      try {
        handler(...args);
      } catch (error) {
        // One view's bug must not stop the others' updates; the console shows it.
        console.warn(`live handler for ${event} failed`, error);
      }
    }
  }

  private setState(state: ConnectionState): void {
    this.current = state;
    this.handlers.state(state);
  }

  /**
   * Joins a site's room. A refusal or a timeout would leave the views of that site
   * silently without live updates while the header says "connected": the shell is
   * told, and it is tried again with backoff while the site is watched and the socket
   * connected; once through, views re-read what they missed.
   */
  private async subscribe(siteId: string): Promise<boolean> {
    let message: string | undefined;
    try {
      const ack = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('site:subscribe', siteId);
      if (!ack.ok) message = `${ack.code}: ${ack.message}`;
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    if (this.closed || !this.watchers.has(siteId)) return message === undefined;
    const failed = this.failedSubscriptions.get(siteId);
    clearTimeout(failed?.timer);
    if (message === undefined) {
      if (failed) {
        this.failedSubscriptions.delete(siteId);
        this.handlers.subscribeRecovered?.(siteId);
      }
      return true;
    }
    const delayMs = failed ? Math.min(SUBSCRIBE_RETRY_MAX_MS, failed.delayMs * 2) : SUBSCRIBE_RETRY_MS;
    const entry = { timer: undefined as ReturnType<typeof setTimeout> | undefined, delayMs };
    this.failedSubscriptions.set(siteId, entry);
    // A reconnection subscribes every watched site anyway; the timer covers a connected socket.
    entry.timer = setTimeout(() => {
      if (this.closed || !this.socket.connected || !this.watchers.has(siteId)) return;
      void this.subscribe(siteId).then((ok) => {
        if (ok) this.runResync();
      });
    }, delayMs);
    this.handlers.subscribeFailed?.(siteId, message, delayMs);
    return false;
  }

  /** After a (re)connection: join every watched room, then let the views catch up over REST. */
  private async resubscribe(): Promise<void> {
    await Promise.all([...this.watchers.keys()].map((siteId) => this.subscribe(siteId)));
    this.runResync();
  }

  /** Lets every view re-read over REST what it may have missed. */
  private runResync(): void {
    if (this.closed || !this.socket.connected) return;
    for (const handler of [...this.resyncHandlers]) {
      try {
        handler();
      } catch (error) {
        console.warn('resync handler failed', error);
      }
    }
  }
}
