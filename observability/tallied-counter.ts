import { Counter, type Registry } from 'prom-client';

/**
 * A Prometheus counter with one label, for the per-message path: it counts in
 * plain numbers by label value and hands the counts to its prom-client counter
 * when the metrics are read (the counter's `collect`, which /metrics and `get()`
 * both run). prom-client's labelled `inc` builds a key from the labels and
 * checks them on every call; ingest calls it twice a message, about 2 % of the
 * event loop at saturation (bench/README.md, "Twenty-fourth pass").
 */
export class TalliedCounter<Label extends string> {
  readonly counter: Counter<Label>;
  /** Counts not yet handed over, by label value; kept at 0 after, so the hot path finds its entry. */
  private readonly counts = new Map<string, number>();

  constructor(config: { name: string; help: string; label: Label; registers: Registry[] }) {
    const counts = this.counts;
    const { label } = config;
    this.counter = new Counter({
      name: config.name,
      help: config.help,
      labelNames: [label],
      registers: config.registers,
      collect() {
        for (const [value, n] of counts) {
          if (n === 0) continue;
          this.inc({ [label]: value } as Partial<Record<Label, string>>, n);
          counts.set(value, 0);
        }
      },
    });
  }

  /** Counts `n` (default 1) under the label's `value`. */
  add(value: string, n = 1): void {
    this.counts.set(value, (this.counts.get(value) ?? 0) + n);
  }
}
