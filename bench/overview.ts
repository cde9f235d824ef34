import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { kpisOf } from '../api/overview/aggregate.js';
import { calendarDay } from '../api/overview/calendar-day.js';
import { openSqliteStore } from '../store/sqlite/index.js';

/**
 * What the jurisdiction overview costs for a whole city at the scale the domain
 * notes plan for: 30,000 sites × 5 devices, 30 days of alerts (2,000 a day, 1,000
 * still open). Measures the store's grouped queries (`siteFigures`, `ackDelays`)
 * and the sums, for the city and for one district. `npm run bench:overview`.
 */
const SITES = Number(process.env.SK_BENCH_SITES ?? 30_000);
const DEVICES_PER_SITE = 5;
const ALERTS_PER_DAY = 2_000;
const DAYS = 30;
const RUNS = 5;
const DAY_MS = 86_400_000;

const dir = mkdtempSync(join(tmpdir(), 'sk-bench-overview-'));
const file = join(dir, 'bench.sqlite');
const store = openSqliteStore({ file, synchronous: 'normal' });
try {
  const now = Date.UTC(2026, 10, 23, 6);
  // Regions through the store (few); sites, devices and alerts in bulk on a second connection.
  await store.registry.upsertRegion({ id: 'city', name: 'city', level: 'city', parentId: null });
  const towns: string[] = [];
  for (let d = 0; d < 10; d++) {
    await store.registry.upsertRegion({ id: `d${d}`, name: `d${d}`, level: 'district', parentId: 'city' });
    for (let t = 0; t < 10; t++) {
      await store.registry.upsertRegion({ id: `d${d}-t${t}`, name: `t${t}`, level: 'township', parentId: `d${d}` });
      towns.push(`d${d}-t${t}`);
    }
  }
  const bulk = new Database(file);
  bulk.pragma('journal_mode = WAL');
  const site = bulk.prepare('INSERT INTO sites (id, name, region_id, address, timezone, active) VALUES (?, ?, ?, NULL, ?, 1)');
  const device = bulk.prepare(
    `INSERT INTO devices (id, site_id, kind, label, profile, expected_interval_s, secret_salt, secret_hash, created_at, revoked_at, online)
     VALUES (?, ?, ?, ?, ?, 60, x'00', x'00', ?, NULL, ?)`,
  );
  const alert = bulk.prepare(
    `INSERT INTO alerts (device_id, site_id, rule, category, severity, state, raised_at, created_at, last_seen_at, message, detail, occurrences,
                         acknowledged_at, resolved_at, resolution, escalation, flapping, notifications, updated_at)
     VALUES (?, ?, 'temperature_high', 'condition', ?, ?, ?, ?, ?, '', '{}', 1, ?, ?, ?, 'township', 0, 0, ?)`,
  );
  const kinds = [['temperature', 'chilled'], ['temperature', 'frozen'], ['temperature', 'hot_holding'], ['oil_separator', 'oil_separator'], ['camera', 'camera']] as const;
  bulk.transaction(() => {
    for (let s = 0; s < SITES; s++) {
      site.run(`s${s}`, `site ${s}`, towns[s % towns.length], 'Asia/Shanghai');
      for (let k = 0; k < DEVICES_PER_SITE; k++) {
        const [kind, profile] = kinds[k]!;
        device.run(`s${s}-${k}`, `s${s}`, kind, `${kind} ${k}`, profile, now, (s + k) % 17 === 0 ? 0 : 1);
      }
    }
    const total = ALERTS_PER_DAY * DAYS;
    for (let a = 0; a < total; a++) {
      const s = (a * 7919) % SITES;
      const created = now - DAYS * DAY_MS + Math.floor((a / total) * DAYS * DAY_MS);
      const open = a >= total - 1_000;
      const acked = open ? null : created + 60_000 * (1 + (a % 30));
      const resolved = open ? null : created + 3_600_000;
      alert.run(`s${s}-0`, `s${s}`, a % 5 === 0 ? 'critical' : 'warning', open ? 'open' : 'resolved', created, created, created, acked, resolved, open ? null : a % 3 === 0 ? 'cleared' : 'corrected', created);
    }
  })();
  bulk.close();

  const day = calendarDay(now, 'Asia/Shanghai');
  const measure = async (regionPath: string | undefined) => {
    const ms: number[] = [];
    let sites = 0;
    for (let i = 0; i < RUNS; i++) {
      const start = process.hrtime.bigint();
      const query = {
        scope: { kind: 'all' as const },
        ...(regionPath ? { regionPath } : {}),
        dayStart: day.start,
        dayEnd: day.end,
        periodStart: day.end - DAYS * DAY_MS,
        periodEnd: day.end,
      };
      const [figures, delays] = await Promise.all([store.overview.siteFigures(query), store.overview.ackDelays(query)]);
      const totals = kpisOf(figures, delays.map((d) => d.ms));
      sites = totals.sites;
      ms.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    ms.sort((a, b) => a - b);
    return { sites, medianMs: Math.round(ms[Math.floor(RUNS / 2)]! * 10) / 10, minMs: Math.round(ms[0]! * 10) / 10, maxMs: Math.round(ms[RUNS - 1]! * 10) / 10 };
  };
  const city = await measure(undefined);
  const district = await measure('/city/d0/');
  console.log(
    JSON.stringify({ bench: 'overview', sites: SITES, devices: SITES * DEVICES_PER_SITE, alerts: ALERTS_PER_DAY * DAYS, runs: RUNS, city, district, node: process.version }),
  );
} finally {
  await store.close();
  if (process.env.SK_BENCH_KEEP) console.error(file);
  else rmSync(dir, { recursive: true, force: true });
}
