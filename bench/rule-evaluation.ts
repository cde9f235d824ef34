import { createAnomalyRule } from '../alerts/anomaly/rule.js';
import { createDeviceRules } from '../alerts/evaluation/device-rules.js';
import { getRulePack, resolveSettings } from '../alerts/rules/index.js';
import type { Device } from '../contracts/index.js';
import type { TelemetryRecord } from '../store/index.js';

/**
 * Cost of evaluating one reading against a device's rules, in process, without
 * I/O: a chilled fridge under cn-catering, without and with the anomaly detector.
 * `npm run bench:rules`; prints one JSON line per variant.
 */
const N = 1_000_000;
const device: Device = {
  id: 'fridge-1', siteId: 'site-1', kind: 'temperature', label: 'fridge', profile: 'chilled',
  expectedIntervalS: 30, createdAt: 0, revokedAt: null, online: true, presenceChangedAt: 0,
};
const target = { device, site: { id: 'site-1', timezone: 'Asia/Shanghai' } };
const settings = resolveSettings(getRulePack('cn-catering'));
const t0 = Date.UTC(2026, 0, 1);
// A thermostat saw-tooth inside the limits: the common case, where nothing alarms.
const records: TelemetryRecord[] = Array.from({ length: 1_000 }, (_, i) => ({
  deviceId: device.id, kind: 'temperature', ts: 0, seq: i, boot: 'b', receivedAt: 0,
  values: { temperatureC: 3 + Math.sin(i / 20) * 1.5, doorOpen: false, batteryPct: 80 },
}));

for (const anomaly of [false, true]) {
  const rules = createDeviceRules(target, settings, anomaly ? [createAnomalyRule(target, { sensitivity: 0.5 })] : []);
  let conditions = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const record = records[i % records.length]!;
    record.ts = record.receivedAt = t0 + i * 30_000;
    conditions += rules.reading(record).length;
  }
  const nsPerReading = Number(process.hrtime.bigint() - start) / N;
  console.log(JSON.stringify({
    bench: 'rule-evaluation', rules: rules.ruleIds.length, anomaly, readings: N,
    nsPerReading: Math.round(nsPerReading), readingsPerSecOneCore: Math.round(1e9 / nsPerReading), conditions, node: process.version,
  }));
}
