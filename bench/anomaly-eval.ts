/**
 * `npm run eval:anomaly`: the anomaly rule's quality on labelled simulator
 * traces, per sensitivity, against a plain threshold rule run on the same traces.
 *
 * stdout carries one JSON line per (detector, profile, fault) row and one summary
 * line per detector; stderr carries the human table. Deterministic: the same
 * `--seed` gives the same figures. Tune on another seed than the one you report.
 */
import { parseArgs } from 'node:util';
import { createAnomalyRule } from '../alerts/anomaly/rule.js';
import { SENSITIVITY_LEVELS, type SensitivityLevel } from '../alerts/anomaly/detector.js';
import type { Device } from '../contracts/index.js';
import { FAULTS_BY_PROFILE, makeTrace, PROFILES, traceSeed, type EvalFault, type Profile, type Trace } from './anomaly-traces.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Alarms before this are not counted for anyone: the anomaly detector is still learning. */
const WARMUP_MS = 12 * HOUR;
/** The threshold baseline: the domain's alarm limits with a 15 min delay (domain.md). */
const THRESHOLD_C: Record<Profile, number> = { chilled: 8, frozen: -12 };
const THRESHOLD_DELAY_MS = 15 * MINUTE;
const THRESHOLD_HYSTERESIS_C = 1;

/** Something that watches one trace and says when it raised an alarm. */
interface Alarmer {
  /** Returns true when this reading made the alarm active. */
  feed(t: number, v: number): boolean;
}

interface DetectorSpec {
  name: string;
  make(profile: Profile, deviceId: string): Alarmer;
}

function anomalySpec(level: SensitivityLevel): DetectorSpec {
  return {
    name: `anomaly:${level}`,
    make(profile, deviceId) {
      const device: Device = {
        id: deviceId, siteId: 'eval', kind: 'temperature', label: deviceId, profile, expectedIntervalS: 30,
        createdAt: 0, revokedAt: null, online: true, presenceChangedAt: null,
      };
      const rule = createAnomalyRule({ device, site: { id: 'eval', timezone: 'Asia/Shanghai' } }, { sensitivity: level });
      let seq = 0;
      return {
        feed(t, v) {
          const record = { deviceId, kind: 'temperature' as const, ts: t, seq: seq++, boot: 'b', receivedAt: t, values: { temperatureC: v } };
          return rule.reading(record)?.active === true;
        },
      };
    },
  };
}

/** Active when every reading has been above the limit for the delay; clears a degree below it. */
const thresholdSpec: DetectorSpec = {
  name: 'threshold',
  make(profile) {
    const limit = THRESHOLD_C[profile];
    let above: number | null = null;
    let active = false;
    return {
      feed(t, v) {
        if (active) {
          if (v <= limit - THRESHOLD_HYSTERESIS_C) active = false;
          return false;
        }
        if (v <= limit) {
          above = null;
          return false;
        }
        above ??= t;
        if (t - above < THRESHOLD_DELAY_MS) return false;
        active = true;
        above = null;
        return true;
      },
    };
  },
};

interface RunResult {
  trace: Trace;
  /** Times the alarm became active, after the warm-up. */
  raised: number[];
}

function run(spec: DetectorSpec, trace: Trace): RunResult {
  const alarmer = spec.make(trace.profile, `${trace.profile}-${trace.seed}`);
  const raised: number[] = [];
  for (let i = 0; i < trace.t.length; i++) {
    const t = trace.t[i] as number;
    if (alarmer.feed(t, trace.v[i] as number) && t >= trace.start + WARMUP_MS) raised.push(t);
  }
  return { trace, raised };
}

interface Row {
  detector: string;
  profile: Profile | 'all';
  fault: EvalFault | 'none' | 'all';
  traces: number;
  truePositives: number;
  falsePositives: number;
  precision: number | null;
  recall: number | null;
  delayP50Min: number | null;
  delayP90Min: number | null;
  /** False alarms per device-day outside fault windows, after the warm-up. */
  falseAlarmsPerDeviceDay: number;
}

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

function summarise(detector: string, profile: Row['profile'], fault: Row['fault'], results: RunResult[]): Row {
  let tp = 0;
  let fp = 0;
  let cleanMs = 0;
  let faultTraces = 0;
  let detected = 0;
  const delays: number[] = [];
  for (const { trace, raised } of results) {
    const from = trace.faultAt;
    const to = trace.windowEnd;
    let first: number | null = null;
    for (const t of raised) {
      if (from !== null && to !== null && t >= from && t <= to) {
        tp++;
        if (first === null && t <= from + trace.horizonMs) first = t;
      } else fp++;
    }
    cleanMs += trace.end - trace.start - WARMUP_MS - (from !== null && to !== null ? to - from : 0);
    if (from !== null) {
      faultTraces++;
      if (first !== null) {
        detected++;
        delays.push((first - from) / MINUTE);
      }
    }
  }
  delays.sort((a, b) => a - b);
  const r3 = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 1000);
  return {
    detector,
    profile,
    fault,
    traces: results.length,
    truePositives: tp,
    falsePositives: fp,
    precision: tp + fp === 0 ? null : r3(tp / (tp + fp)),
    recall: faultTraces === 0 ? null : r3(detected / faultTraces),
    delayP50Min: r3(quantile(delays, 0.5)),
    delayP90Min: r3(quantile(delays, 0.9)),
    falseAlarmsPerDeviceDay: r3(cleanMs > 0 ? (fp * DAY) / cleanMs : 0) as number,
  };
}

function fmt(x: number | null, digits = 2): string {
  return x === null ? '-' : x.toFixed(digits);
}

function table(rows: Row[]): string {
  const head = ['profile', 'fault', 'detector', 'traces', 'recall', 'delay p50', 'delay p90', 'precision', 'FA/dev-day'];
  const body = rows.map((r) => [
    r.profile, r.fault, r.detector, String(r.traces), fmt(r.recall), r.delayP50Min === null ? '-' : `${Math.round(r.delayP50Min)} min`,
    r.delayP90Min === null ? '-' : `${Math.round(r.delayP90Min)} min`, fmt(r.precision), fmt(r.falseAlarmsPerDeviceDay, 3),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

const HELP = `usage: node dist/bench/anomaly-eval.js [--seed N] [--traces N] [--clean N] [--sensitivity low,medium,high]
  --seed         base seed of the traces (default 1; the detector was tuned on seed 1000)
  --traces       traces per profile and fault (default 20)
  --clean        fault-free traces per profile (default 30)
  --sensitivity  comma list of levels to evaluate (default low,medium,high)`;

function main(): void {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      traces: { type: 'string', default: '20' },
      clean: { type: 'string', default: '30' },
      sensitivity: { type: 'string', default: 'low,medium,high' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.error(HELP);
    return;
  }
  const seed = Number(values.seed);
  const perFault = Number(values.traces);
  const clean = Number(values.clean);
  const levels = values.sensitivity.split(',').map((s) => s.trim());
  if (![seed, perFault, clean].every(Number.isInteger) || perFault < 1 || clean < 1) throw new RangeError(`bad numbers\n${HELP}`);
  for (const l of levels) if (!Object.hasOwn(SENSITIVITY_LEVELS, l)) throw new RangeError(`unknown sensitivity ${l}\n${HELP}`);
  const specs = [...levels.map((l) => anomalySpec(l as SensitivityLevel)), thresholdSpec];

  const started = performance.now();
  const results = new Map<string, RunResult[]>(specs.map((s) => [s.name, []]));
  for (const profile of PROFILES) {
    for (const fault of [null, ...FAULTS_BY_PROFILE[profile]]) {
      const count = fault === null ? clean : perFault;
      for (let i = 0; i < count; i++) {
        const trace = makeTrace(profile, fault, traceSeed(seed, profile, fault, i));
        for (const spec of specs) results.get(spec.name)?.push(run(spec, trace));
      }
    }
  }

  const rows: Row[] = [];
  const summaries: Row[] = [];
  for (const spec of specs) {
    const all = results.get(spec.name) ?? [];
    for (const profile of PROFILES) {
      for (const fault of [null, ...FAULTS_BY_PROFILE[profile]]) {
        const subset = all.filter((r) => r.trace.profile === profile && r.trace.fault === fault);
        rows.push(summarise(spec.name, profile, fault ?? 'none', subset));
      }
    }
    summaries.push(summarise(spec.name, 'all', 'all', all));
  }
  const order = (r: Row) => `${r.profile}/${r.fault}`;
  rows.sort((a, b) => order(a).localeCompare(order(b)) || specs.findIndex((s) => s.name === a.detector) - specs.findIndex((s) => s.name === b.detector));
  for (const row of [...rows, ...summaries]) process.stdout.write(`${JSON.stringify({ type: 'anomaly-eval', seed, ...row })}\n`);
  const seconds = (performance.now() - started) / 1000;
  const traces = (results.get(specs[0]?.name ?? '') ?? []).length;
  console.error(`anomaly evaluation, seed ${seed}: ${traces} traces of 72 h at 30 s, ${seconds.toFixed(1)} s`);
  console.error(table([...rows, ...summaries]));
}

main();
