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
import type { LiveFeed } from './ports.js';
import { Access } from './scope.js';

export interface LiveSocketData {
  principal: Principal;
}
export type LiveServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, LiveSocketData>;

export interface LiveOptions {
  httpServer: HttpServer;
  feed: LiveFeed;
  registry: RegistryStore;
  logger: Logger;
  /** The caller's principal from their token; throws if the token is not accepted. */
  authenticate: Authenticate;
  /** At most one reading per device per this many ms; the newest wins. */
  throttleMs: number;
  corsOrigins: string[];
}

const room = (siteId: SiteId) => `site:${siteId}`;

/**
 * socket.io: dashboards subscribe to sites and receive live readings, presence
 * changes and camera findings. Readings are throttled per device so a chatty
 * device cannot flood a browser: the newest pending reading is sent when the
 * device's window ends.
 */
export function attachLive(options: LiveOptions): { io: LiveServer; close: () => Promise<void> } {
  const io: LiveServer = new Server(options.httpServer, {
    serveClient: false,
    cors: options.corsOrigins.length ? { origin: options.corsOrigins } : undefined,
    // A dashboard that stops reading is dropped rather than buffered without end.
    maxHttpBufferSize: 64 * 1024,
  });

  io.use((socket, next) => {
    try {
      socket.data.principal = options.authenticate(typeof socket.handshake.auth.token === 'string' ? socket.handshake.auth.token : undefined);
      next();
    } catch {
      // The reason is the same for a missing and a wrong token: do not say which.
      next(new Error('unauthorized'));
    }
  });

  io.on('connection', (socket) => {
    socket.on('site:subscribe', async (siteId, ack) => {
      if (typeof ack !== 'function') return;
      const parsed = siteIdSchema.safeParse(siteId);
      if (!parsed.success) return ack({ ok: false, code: 'invalid_request', message: 'siteId is not a valid id' });
      try {
        // Outside the caller's scope answers like a missing site.
        const site = await options.registry.getSite(parsed.data);
        if (!site || !(await new Access(socket.data.principal, options.registry).canSeeSite(site))) {
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

  return {
    io,
    close: async () => {
      options.feed.off('reading:stored', onReading);
      options.feed.off('device:presence', onPresence);
      options.feed.off('finding:stored', onFinding);
      throttle.stop();
      await io.close();
    },
  };
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
