/**
 * Bench child: dashboards. Logs each supervisor in over the real REST API
 * (`POST /api/v1/auth/login`), opens `clients` socket.io connections with those
 * access tokens (round-robin: one user may have many tabs open), and times every
 * `alert:raised` of the chilled rule (a change in an `alerts` batch).
 *
 * Latency = Date.now() on arrival − `alert.raisedAt`. With a zero alarm delay
 * `raisedAt` is the device timestamp of the out-of-band reading, which the load
 * generator sets from Date.now() as it publishes. Both processes run on this
 * machine and read the same kernel clock (CLOCK_REALTIME), so the difference
 * needs no offset; the resolution is 1 ms. (`performance.timeOrigin + now()`
 * would mix a per-process start time with a monotonic clock, which drift apart.)
 *
 * A thousand socket.io-client instances cost more CPU than the server spends
 * sending to them (each message is decoded and JSON-parsed), and they share the
 * load generator's core. So past `fullClients` the sockets are wire clients:
 * `ws` WebSockets speaking the same Engine.IO 4 / Socket.IO 5 text protocol
 * (handshake with the token, ping/pong, events), reading `raisedAt` from the
 * frame without parsing the whole alert. The server cannot tell them apart.
 * (Node 20's own WebSocket, undici's, took several times the CPU per frame: a
 * thousand of them made this process the limit of the measurement.)
 */
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import type { ClientToServerEvents, ServerToClientEvents, TokenResponse } from '../contracts/index.js';
import { LatencyRecorder } from './latency.js';
import { sampleProcess, sendToParent, type DashboardMessage, type DashboardRequest, type DashboardSpec, type ProcessSample } from './protocol.js';

const send = (m: DashboardMessage) => sendToParent(m);
type DashboardSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The rule the bench's out-of-band readings raise; anomaly alerts on the same jump are not counted. */
const RULE = 'temperature_high';

/**
 * Every timed arrival, in columns: 1.4 million `{ client, raisedAt, ms }` objects
 * in a run kept the collector busy in this process and delayed the very
 * arrivals it timed.
 */
class Arrivals {
  private clients = new Int32Array(1 << 16);
  private raisedAts = new Float64Array(1 << 16);
  private latencies = new Float64Array(1 << 16);
  private n = 0;

  add(client: number, raisedAt: number, ms: number): void {
    if (this.n === this.clients.length) {
      this.clients = grown(this.clients, new Int32Array(this.n * 2));
      this.raisedAts = grown(this.raisedAts, new Float64Array(this.n * 2));
      this.latencies = grown(this.latencies, new Float64Array(this.n * 2));
    }
    this.clients[this.n] = client;
    this.raisedAts[this.n] = raisedAt;
    this.latencies[this.n++] = ms;
  }

  *[Symbol.iterator](): Generator<{ client: number; raisedAt: number; ms: number }> {
    for (let i = 0; i < this.n; i++) yield { client: this.clients[i]!, raisedAt: this.raisedAts[i]!, ms: this.latencies[i]! };
  }
}

function grown<T extends Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as DashboardSpec;
const sockets: DashboardSocket[] = [];
const arrivals = new Arrivals();
let closing = false;
let disconnects = 0;
let start: ProcessSample;

async function login(user: { id: string; password: string }): Promise<string> {
  const res = await fetch(`${spec.httpUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user.id, password: user.password }),
  });
  if (!res.ok) throw new Error(`login of ${user.id} refused: ${res.status} ${await res.text()}`);
  return ((await res.json()) as TokenResponse).accessToken;
}

const wires: WebSocket[] = [];

const RAISED = Buffer.from('{"event":"alert:raised","alert":{');
const CHANGE = Buffer.from('{"event":"');
const OF_RULE = Buffer.from(`"rule":"${RULE}"`);
const RAISED_AT = Buffer.from('"raisedAt":');
const ALERTS_FRAME = Buffer.from('42["alerts"');

/**
 * `raisedAt` of each `alert:raised` change of the timed rule in an `alerts`
 * frame, found in the bytes: decoding each frame to a string took a fifth of
 * this process's CPU at a thousand sockets.
 */
function raisedAtOf(frame: Buffer, found: (raisedAt: number) => void): void {
  for (let at = frame.indexOf(RAISED); at >= 0; at = frame.indexOf(RAISED, at + RAISED.length)) {
    const next = frame.indexOf(CHANGE, at + RAISED.length);
    const end = next < 0 ? frame.length : next;
    const rule = frame.indexOf(OF_RULE, at);
    if (rule < 0 || rule >= end) continue;
    const field = frame.indexOf(RAISED_AT, at);
    if (field < 0 || field >= end) continue;
    let value = 0;
    let digits = 0;
    for (let i = field + RAISED_AT.length; i < end && frame[i]! >= 0x30 && frame[i]! <= 0x39; i++, digits++) value = value * 10 + frame[i]! - 0x30;
    if (digits > 0) found(value);
  }
}

const startsWith = (frame: Buffer, prefix: Buffer) => frame.length >= prefix.length && frame.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;

function connectWire(token: string, index: number): Promise<void> {
  const url = `${spec.httpUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let connected = false;
    ws.on('error', (error) => {
      if (!connected) reject(new Error(`wire socket ${index}: ${error.message}`));
    });
    ws.on('message', (raw: Buffer) => {
      if (startsWith(raw, ALERTS_FRAME)) {
        // Scanned, not parsed: 950 clients parsing every batch would make this process, not the server, the limit.
        const now = Date.now();
        raisedAtOf(raw, (raisedAt) => arrivals.add(index, raisedAt, now - raisedAt));
        return;
      }
      const data = raw.toString();
      if (data === '2') return ws.send('3'); // Engine.IO ping → pong
      if (data.startsWith('0{')) ws.send(`40${JSON.stringify({ token })}`); // open → Socket.IO CONNECT with auth
      else if (data.startsWith('40')) {
        connected = true;
        resolve();
      } else if (data.startsWith('44')) reject(new Error(`wire socket ${index}: refused ${data}`));
    });
    ws.on('close', () => {
      if (!connected) reject(new Error(`wire socket ${index}: closed before connecting`));
      else if (!closing) disconnects++;
    });
    wires.push(ws);
  });
}

function connect(token: string, index: number): Promise<DashboardSocket> {
  return new Promise((resolve, reject) => {
    const socket: DashboardSocket = io(spec.httpUrl, { auth: { token }, transports: ['websocket'], reconnection: false });
    socket.on('alerts', (changes) => {
      const now = Date.now();
      for (const { event, alert } of changes) if (event === 'alert:raised' && alert.rule === RULE) arrivals.add(index, alert.raisedAt, now - alert.raisedAt);
    });
    socket.once('connect', () => {
      socket.on('disconnect', () => {
        if (!closing) disconnects++;
      });
      resolve(socket);
    });
    socket.once('connect_error', (error) => reject(new Error(`socket ${index}: ${error.message}`)));
  });
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const tokens = await Promise.all(spec.users.map(login));
  // A few at a time: a thousand simultaneous handshakes would time out on a busy core.
  const concurrency = 50;
  let next = 0;
  const full = Math.min(spec.clients, spec.fullClients ?? spec.clients);
  const worker = async () => {
    while (next < spec.clients) {
      const i = next++;
      if (i < full) sockets[i] = await connect(tokens[i % tokens.length]!, i);
      else await connectWire(tokens[i % tokens.length]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, spec.clients) }, worker));
  start = sampleProcess();
  send({ type: 'ready', clients: sockets.length + wires.length, ms: Math.round(performance.now() - t0) });
}

function collect(fromEpochMs: number, toEpochMs: number): void {
  const latency = new LatencyRecorder();
  const perClient = new Array<number>(spec.clients).fill(0);
  for (const a of arrivals) {
    if (a.raisedAt < fromEpochMs || a.raisedAt >= toEpochMs) continue;
    latency.add(a.ms);
    perClient[a.client]!++;
  }
  send({
    type: 'result',
    result: {
      clients: spec.clients,
      fullClients: sockets.length,
      received: latency.count,
      perClientMin: Math.min(...perClient),
      perClientMax: Math.max(...perClient),
      latency: latency.summary(),
      disconnects,
      start,
      end: sampleProcess(),
    },
  });
}

function shutdown(code: number): void {
  closing = true;
  for (const s of sockets) s.close();
  for (const w of wires) w.close();
  if (process.connected) send({ type: 'closed' });
  process.exit(code);
}

process.on('disconnect', () => shutdown(1));
process.on('message', (raw) => {
  const msg = raw as DashboardRequest;
  if (msg.type === 'collect') collect(msg.fromEpochMs, msg.toEpochMs);
  else if (msg.type === 'close') shutdown(0);
});

main().catch((error: unknown) => {
  send({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
