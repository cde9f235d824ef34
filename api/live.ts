import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import {
  siteIdSchema,
  type ClientToServerEvents,
  type LiveReading,
  type Principal,
  type PresenceChange,
  type ServerToClientEvents,
  type SiteId,
} from '../contracts/index.js';
import type { Logger } from '../observability/logger.js';
import type { FindingRecord, RegistryStore, TelemetryRecord } from '../store/index.js';
import type { Authenticate } from './auth.js';
import { corkWebSocketFlushes } from './live-cork.js';
import type { LiveFeed } from './ports.js';
import { Access } from './scope.js';

export interface LiveSocketData {
  principal: Principal;
  /** The login session the socket's token belongs to; null for the break-glass token. */
  sessionId: string | null;
  /** When the socket's token expires (epoch ms); the socket is dropped then. Null: never. */
  expiresAt: number | null;
}
export type LiveServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, LiveSocketData>;

export interface LiveOptions {
  httpServer: HttpServer;
  feed: LiveFeed;
  registry: RegistryStore;
  logger: Logger;
  /** The caller from their token; rejects if the token is not accepted. */
  authenticate: Authenticate;
  /** The principal of a user's session as it stands now, or undefined if it ended (see AccountService.principalOf). */
  principalOf: (userId: string, sessionId: string) => Promise<Principal | undefined>;
  /** Sockets are re-checked this often: expired tokens dropped, scope changes applied. */
  recheckMs: number;
  clock: () => number;
  /** At most one reading per device per this many ms; the newest wins. */
  throttleMs: number;
  corsOrigins: string[];
  /**
   * Packets a socket may have queued unsent (it stopped reading: a frozen tab, a
   * dead network); beyond this it is dropped, so one slow dashboard costs bounded
   * memory and never holds the others back. It reconnects and re-fetches when it wakes.
   */
  maxQueuedPackets: number;
}

const room = (siteId: SiteId) => `site:${siteId}`;

/**
 * socket.io: dashboards subscribe to sites and receive live readings, presence
 * changes and camera findings. Readings are throttled per device so a chatty
 * device cannot flood a browser: the newest pending reading is sent when the
 * device's window ends.
 */
export function attachLive(options: LiveOptions): { io: LiveServer; revalidate: () => Promise<void>; close: () => Promise<void> } {
  const io: LiveServer = new Server(options.httpServer, {
    serveClient: false,
    cors: options.corsOrigins.length ? { origin: options.corsOrigins } : undefined,
    // A dashboard that stops reading is dropped rather than buffered without end.
    maxHttpBufferSize: 64 * 1024,
  });
  corkWebSocketFlushes(io);

  // The token is checked at the handshake only; the principal and scope are
  // re-read from the store on every check (see revalidate), never taken from the client.
  io.use((socket, next) => {
    const token: unknown = socket.handshake.auth.token;
    options.authenticate(typeof token === 'string' ? token : undefined).then(
      (auth) => {
        socket.data.principal = auth.principal;
        socket.data.sessionId = auth.sessionId;
        socket.data.expiresAt = auth.expiresAt;
        next();
      },
      // The reason is the same for a missing, a wrong and an expired token: do not say which.
      () => next(new Error('unauthorized')),
    );
  });

  io.on('connection', (socket) => {
    void socket.join(scopeRooms(socket.data.principal));
    socket.on('site:subscribe', async (siteId, ack) => {
      if (typeof ack !== 'function') return;
      const parsed = siteIdSchema.safeParse(siteId);
      if (!parsed.success) return ack({ ok: false, code: 'invalid_request', message: 'siteId is not a valid id' });
      try {
        const { data } = socket;
        // The same checks as the periodic re-check, now: an expired token or ended session joins nothing.
        const principal = data.sessionId === null ? data.principal : await options.principalOf(data.principal.id, data.sessionId);
        if (!principal || (data.expiresAt !== null && data.expiresAt <= options.clock())) {
          ack({ ok: false, code: 'unauthorized', message: 'session ended' });
          socket.disconnect(true);
          return;
        }
        data.principal = principal;
        // Outside the caller's scope answers like a missing site.
        const site = await options.registry.getSite(parsed.data);
        if (!site || !(await new Access(principal, options.registry).canSeeSite(site))) {
          return ack({ ok: false, code: 'not_found', message: 'site not found' });
        }
        await socket.join(room(parsed.data));
        ack({ ok: true, data: { siteId: parsed.data } });
      } catch (error) {
        options.logger.error({ err: error }, 'site:subscribe failed');
        ack({ ok: false, code: 'internal', message: 'internal error' });
      }
    });
    socket.on('site:unsubscribe', async (siteId, ack) => {
      if (typeof ack !== 'function' || typeof siteId !== 'string') return;
      await socket.leave(room(siteId));
      ack({ ok: true, data: { siteId } });
    });
  });

  const hasListeners = (siteId: SiteId) => (io.sockets.adapter.rooms.get(room(siteId))?.size ?? 0) > 0;
  const throttle = new ReadingThrottle(options.throttleMs, (reading) => io.to(room(reading.siteId)).emit('reading:new', reading));

  const onReading = (record: TelemetryRecord, siteId: SiteId) => {
    if (!hasListeners(siteId)) return;
    throttle.offer({ deviceId: record.deviceId, siteId, kind: record.kind, ts: record.ts, seq: record.seq, values: record.values });
  };
  const onPresence = (change: PresenceChange) => io.to(room(change.siteId)).emit('device:presence', change);
  const onFinding = (finding: FindingRecord, siteId: SiteId) =>
    io.to(room(siteId)).emit('finding:new', { deviceId: finding.deviceId, siteId, ts: finding.ts, type: finding.type, confidence: finding.confidence });

  options.feed.on('reading:stored', onReading);
  options.feed.on('device:presence', onPresence);
  options.feed.on('finding:stored', onFinding);

  /**
   * Re-checks every socket against the store: a token past its expiry, an ended
   * session or a disabled user drops the socket (the client reconnects with a
   * fresh token); a narrowed scope (a site moved out of a supervisor's region, a
   * site taken off an operator) leaves the rooms it no longer covers. Checks run
   * one after another, never overlapping.
   */
  let checking: Promise<void> = Promise.resolve();
  const revalidate = (): Promise<void> => {
    checking = checking.then(async () => {
      for (const socket of io.sockets.sockets.values()) {
        try {
          const { data } = socket;
          if (data.expiresAt !== null && data.expiresAt <= options.clock()) {
            socket.disconnect(true);
            continue;
          }
          if (data.sessionId !== null) {
            const principal = await options.principalOf(data.principal.id, data.sessionId);
            if (!principal) {
              socket.disconnect(true);
              continue;
            }
            data.principal = principal;
          }
          // Scope rooms (alert pushes) follow the principal as the store has it now.
          const wanted = new Set(scopeRooms(data.principal));
          for (const name of socket.rooms) if (name.startsWith('scope:') && !wanted.has(name)) await socket.leave(name);
          await socket.join([...wanted]);
          const access = new Access(data.principal, options.registry);
          for (const name of socket.rooms) {
            if (!name.startsWith('site:')) continue;
            const site = await options.registry.getSite(name.slice(5));
            if (!site || !(await access.canSeeSite(site))) await socket.leave(name);
          }
        } catch (error) {
          options.logger.error({ err: error }, 'live access check failed; dropping the socket');
          socket.disconnect(true);
        }
      }
    });
    return checking;
  };
  const recheck = setInterval(() => void revalidate(), options.recheckMs);
  recheck.unref();
  const slowCheck = setInterval(() => dropSlowSockets(io, options.maxQueuedPackets, options.logger), Math.min(1_000, options.recheckMs));
  slowCheck.unref();

  return {
    io,
    revalidate,
    close: async () => {
      clearInterval(recheck);
      clearInterval(slowCheck);
      options.feed.off('reading:stored', onReading);
      options.feed.off('device:presence', onPresence);
      options.feed.off('finding:stored', onFinding);
      throttle.stop();
      await io.close();
    },
  };
}

/**
 * Drops every socket with more than `maxQueued` packets waiting in engine.io's
 * write buffer. Packets queue there while the transport is busy: a websocket
 * whose peer stopped reading (once the kernel's buffers are full), or a
 * long-polling client that stopped polling. socket.io itself only notices such a
 * client at its ping timeout (45 s), buffering all the while.
 */
function dropSlowSockets(io: LiveServer, maxQueued: number, logger: Logger): void {
  for (const socket of io.sockets.sockets.values()) {
    const queued = (socket.conn as unknown as { writeBuffer: unknown[] }).writeBuffer.length;
    if (queued <= maxQueued) continue;
    logger.warn({ socketId: socket.id, user: socket.data.principal?.id, queued }, 'dashboard socket not reading; dropped');
    // Discard the transport: a polite close would wait for the queue to drain, which is never.
    socket.conn.close(true);
  }
}

/**
 * Per-device throttle with one timer for all devices: a reading goes out at
 * once if its device sent nothing in the last window, otherwise it waits (the
 * newest replacing older ones) for the next tick.
 */
export class ReadingThrottle {
  private readonly lastSent = new Map<string, number>();
  private readonly pending = new Map<string, LiveReading>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly windowMs: number,
    private readonly send: (reading: LiveReading) => void,
    private readonly clock: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.flush(), Math.max(10, windowMs));
    this.timer.unref();
  }

  offer(reading: LiveReading): void {
    const now = this.clock();
    const last = this.lastSent.get(reading.deviceId);
    if (last === undefined || now - last >= this.windowMs) {
      this.lastSent.set(reading.deviceId, now);
      this.pending.delete(reading.deviceId);
      this.send(reading);
    } else {
      const waiting = this.pending.get(reading.deviceId);
      if (!waiting || waiting.ts <= reading.ts) this.pending.set(reading.deviceId, reading);
    }
  }

  flush(): void {
    const now = this.clock();
    for (const [deviceId, reading] of this.pending) {
      if (now - (this.lastSent.get(deviceId) ?? 0) < this.windowMs) continue;
      this.pending.delete(deviceId);
      this.lastSent.set(deviceId, now);
      this.send(reading);
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * The rooms a principal's scope names: `scope:all`, `scope:region:<id>`, or
 * `scope:site:<id>` per site. Jurisdiction-wide pushes (alerts) are emitted to
 * the rooms covering a site, so each socket gets what its scope covers, once.
 */
export function scopeRooms(principal: Principal): string[] {
  const { scope } = principal;
  if (scope.kind === 'all') return ['scope:all'];
  if (scope.kind === 'region') return [`scope:region:${scope.regionId}`];
  return scope.siteIds.map((id) => `scope:site:${id}`);
}
