import { describe, expect, it } from 'vitest';
import { countFlux, historyFlux, latestFlux } from '../../../store/influx/flux.js';

const T0 = Date.UTC(2024, 5, 1, 8, 0, 0);

describe('generated Flux', () => {
  it('downsamples history with aggregateWindow for min, max, mean and count over [from, to)', () => {
    const text = historyFlux({ bucket: 'telemetry', measurement: 'temperature', device: 'fridge-1', field: 'temperatureC', from: T0, to: T0 + 3_600_000, bucketMs: 300_000 }).toString();
    expect(text).toBe(`data = from(bucket: "telemetry")
  |> range(start: 2024-06-01T08:00:00.000Z, stop: 2024-06-01T09:00:00.000Z)
  |> filter(fn: (r) => r._measurement == "temperature" and r.device == "fridge-1" and r._field == "temperatureC")
  |> toFloat()
  |> group()
stat = (fn, name) => data
  |> aggregateWindow(every: 300000ms, offset: 0ms, fn: fn, createEmpty: false, timeSrc: "_start")
  |> toFloat()
  |> set(key: "stat", value: name)
union(tables: [stat(fn: min, name: "min"), stat(fn: max, name: "max"), stat(fn: mean, name: "mean"), stat(fn: count, name: "count")])
  |> pivot(rowKey: ["_time"], columnKey: ["stat"], valueColumn: "_value")
  |> sort(columns: ["_time"])
  |> keep(columns: ["_time", "min", "max", "mean", "count"])`);
  });

  it('aligns the windows on `from` so that they match the SQLite buckets', () => {
    const from = T0 + 123_457;
    const text = historyFlux({ bucket: 'b', measurement: 'temperature', device: 'd', field: 'f', from, to: from + 700_000, bucketMs: 100_000 }).toString();
    expect(text).toContain(`every: 100000ms, offset: ${from % 100_000}ms`);
    expect(text).toContain('range(start: 2024-06-01T08:02:03.457Z, stop: 2024-06-01T08:13:43.457Z)');
  });

  it('quotes every value, so an id cannot end the string or interpolate', () => {
    const hostile = 'x") |> drop() //${now()}';
    const history = historyFlux({ bucket: hostile, measurement: 'camera', device: hostile, field: hostile, from: T0, to: T0 + 1, bucketMs: 1 }).toString();
    const latest = latestFlux({ bucket: 'b', measurement: 'camera', devices: [hostile] }).toString();
    const count = countFlux({ bucket: 'b', device: hostile }).toString();
    for (const text of [history, latest, count]) {
      expect(text).not.toContain('x") |>');
      expect(text).toContain('x\\") |> drop() //\\${now()}');
    }
  });

  it('asks for the last value of every field per device, and counts readings by their seq field', () => {
    expect(latestFlux({ bucket: 'telemetry', measurement: 'oil_separator', devices: ['trap-1', 'trap-2'] }).toString()).toBe(`from(bucket: "telemetry")
  |> range(start: 0)
  |> filter(fn: (r) => r._measurement == "oil_separator" and contains(value: r.device, set: ["trap-1","trap-2"]))
  |> group(columns: ["device", "_field"])
  |> last()
  |> keep(columns: ["_time", "device", "_field", "_value"])`);
    expect(countFlux({ bucket: 'telemetry' }).toString()).toContain('filter(fn: (r) => r._field == "seq")');
    expect(countFlux({ bucket: 'telemetry', device: 'fridge-1' }).toString()).toContain('filter(fn: (r) => r._field == "seq" and r.device == "fridge-1")');
  });

  it('refuses a bucket width that is not a whole number of milliseconds', () => {
    expect(() => historyFlux({ bucket: 'b', measurement: 'temperature', device: 'd', field: 'f', from: T0, to: T0 + 10, bucketMs: 2.5 })).toThrow(RangeError);
  });
});
