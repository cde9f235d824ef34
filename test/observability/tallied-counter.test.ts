import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { TalliedCounter } from '../../observability/tallied-counter.js';

/** The counter's samples as Prometheus would scrape them, by label value. */
async function scrape(registry: Registry): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of (await registry.metrics()).split('\n')) {
    const m = /^sk_test_total\{channel="([^"]+)"\} (\d+)$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

describe('TalliedCounter', () => {
  const make = () => {
    const registry = new Registry();
    const tally = new TalliedCounter({ name: 'sk_test_total', help: 'test', label: 'channel', registers: [registry] });
    return { registry, tally };
  };

  it('shows what was counted, by label value, when the metrics are scraped', async () => {
    const { registry, tally } = make();
    tally.add('telemetry');
    tally.add('telemetry', 2);
    tally.add('status');
    expect(await scrape(registry)).toEqual({ telemetry: 3, status: 1 });
  });

  it('counts each addition once however often it is read, and keeps counting after a read', async () => {
    const { registry, tally } = make();
    tally.add('telemetry', 5);
    expect(await scrape(registry)).toEqual({ telemetry: 5 });
    expect(await scrape(registry)).toEqual({ telemetry: 5 });
    tally.add('telemetry');
    tally.add('finding', 4);
    expect(await scrape(registry)).toEqual({ telemetry: 6, finding: 4 });
    const values = (await tally.counter.get()).values.map((v) => [v.labels.channel, v.value]);
    expect(Object.fromEntries(values)).toEqual({ telemetry: 6, finding: 4 });
  });
});
