/**
 * Bench child for the history and start-up scenarios: fills a SQLite file with
 * millions of readings through the store's own write path (`writeBatch`, the
 * group commit's transaction, here with 5,000 readings per commit), then times
 * history queries through the store alone and through the real HTTP API.
 *
 * Readings are written in time order across devices, as they arrive in
 * production: one week at one reading per 10 s for each data device, so the
 * queried device's rows are interleaved with every other device's, not stored
 * together.
 */
import { statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { Store } from '../store/index.js';
import { openSqliteParts, openSqliteStore } from '../store/sqlite/index.js';
import { provisionFleet } from './fleet.js';
import { LatencyRecorder } from './latency.js';
import { writePastReadings } from './past-readings.js';
import { sendToParent, type Generated, type HistoryMessage, type HistoryRequest, type HistoryTarget, type UserCredentials } from './protocol.js';

const send = (m: HistoryMessage) => sendToParent(m);

const WEEK_MS = 7 * 24 * 3_600_000;
const INTERVAL_MS = 10_000;
/** 60,480 readings: the "7 days of one device (60k readings)". */
const PER_DEVICE = WEEK_MS / INTERVAL_MS;

async function generate(file: string, readings: number, fleetSize: number): Promise<Generated> {
  const started = performance.now();
  const dataDevices = Math.max(1, Math.round(readings / PER_DEVICE));
  // Nothing else runs here: folds may take the whole event loop.
  const parts = openSqliteParts({ file, synchronous: 'normal', staging: { loopShare: 1 } });
  const store = parts.store;
  try {
    const to = Date.now() - 60_000;
    const from = to - WEEK_MS;
    const fleet = await provisionFleet(store, { devices: Math.max(fleetSize, dataDevices), supervisors: 1 }, from);
    const ids = fleet.devices.slice(0, dataDevices).map((d) => d.id);
    const fleetMs = performance.now() - started;
    const written = await writePastReadings(store.ingestSink, { deviceIds: ids, total: readings, perDevice: PER_DEVICE, from, intervalMs: INTERVAL_MS, boot: 'history', afterBatch: () => parts.staged.folded() });
    // A server that had been running would have rolled these up as they came: without this,
    // the server started below spends its first minutes catching up, beside the queries timed.
    const rollupStarted = performance.now();
    await parts.rollups.catchUp();
    // And pruned them hourly (nothing is past the default retention): the server's first prune then finds nothing to search.
    await parts.rollups.prune(Date.now(), { rawDays: 730, rollupDays: 3650 });
    const rollupMs = performance.now() - rollupStarted;
    const target: HistoryTarget = { deviceId: ids[0]!, from, to, field: 'temperatureC', points: 1_000 };
    return {
      readings: written,
      dataDevices,
      targetReadings: await store.telemetry.count(ids[0]),
      fleetMs: Math.round(fleetMs),
      ms: Math.round(performance.now() - started - fleetMs - rollupMs),
      rollupMs: Math.round(rollupMs),
      fileBytes: statSync(file).size,
      target,
      device: fleet.devices[0]!,
      admin: fleet.users[0]!,
    };
  } finally {
    await store.close();
  }
}

async function timeQueries(count: number, query: () => Promise<number>): Promise<{ latency: ReturnType<LatencyRecorder['summary']>; points: number }> {
  const latency = new LatencyRecorder();
  let points = 0;
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    points = await query();
    latency.add(performance.now() - t0);
  }
  return { latency: latency.summary(), points };
}

async function storeQueries(file: string, target: HistoryTarget, count: number) {
  const store: Store = openSqliteStore({ file });
  try {
    const q = { deviceId: target.deviceId, kind: 'temperature' as const, field: target.field, from: target.from, to: target.to, maxPoints: target.points };
    return await timeQueries(count, async () => (await store.telemetry.history(q)).points.length);
  } finally {
    await store.close();
  }
}

async function httpQueries(httpUrl: string, user: UserCredentials, target: HistoryTarget, count: number) {
  const login = await fetch(`${httpUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user.id, password: user.password }),
  });
  if (!login.ok) throw new Error(`login refused: ${login.status} ${await login.text()}`);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const url = `${httpUrl}/api/v1/devices/${target.deviceId}/history?field=${target.field}&from=${target.from}&to=${target.to}&points=${target.points}`;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    return await timeQueries(count, async () => {
      const res = await get(url, { authorization: `Bearer ${accessToken}` }, agent);
      if (res.status !== 200) throw new Error(`history query answered ${res.status}: ${res.body}`);
      return (JSON.parse(res.body) as { points: unknown[] }).points.length;
    });
  } finally {
    agent.destroy();
  }
}

/**
 * One GET over the agent's kept-alive connection, its body read whole. The
 * timed queries use node:http rather than fetch, whose streams took this client
 * about 1 ms more at the p95 (0.3 ms at the p50) over the server's own time, in
 * alternating rounds against one server (bench/README.md, "Twenty-fourth
 * pass"): the client's time, not the server's.
 */
function get(url: string, headers: Record<string, string>, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function handle(msg: HistoryRequest): Promise<void> {
  if (msg.type === 'generate') send({ type: 'generated', generated: await generate(msg.file, msg.readings, msg.fleet) });
  else if (msg.type === 'query') send({ type: 'latency', ...(await storeQueries(msg.file, msg.target, msg.count)) });
  else if (msg.type === 'http') send({ type: 'latency', ...(await httpQueries(msg.httpUrl, msg.user, msg.target, msg.count)) });
  else {
    if (process.connected) send({ type: 'closed' });
    process.exit(0);
  }
}

process.on('disconnect', () => process.exit(1));
process.on('message', (raw) => {
  handle(raw as HistoryRequest).catch((error: unknown) => {
    send({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  });
});
