import { round, type LatencySummary } from './protocol.js';

/**
 * Keeps every latency sample (a few hundred thousand per run fit easily in a
 * Float64Array) so the percentiles are exact, not bucketed.
 */
export class LatencyRecorder {
  private samples = new Float64Array(1 << 16);
  private n = 0;

  add(ms: number): void {
    if (this.n === this.samples.length) {
      const bigger = new Float64Array(this.samples.length * 2);
      bigger.set(this.samples);
      this.samples = bigger;
    }
    this.samples[this.n++] = ms;
  }

  get count(): number {
    return this.n;
  }

  summary(): LatencySummary {
    const sorted = this.samples.slice(0, this.n).sort();
    const n = sorted.length;
    if (n === 0) return { count: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0 };
    // Nearest-rank percentile: the smallest sample with at least p% of samples at or below it.
    const at = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!;
    let sum = 0;
    for (const v of sorted) sum += v;
    return {
      count: n,
      p50Ms: round(at(50), 2),
      p95Ms: round(at(95), 2),
      p99Ms: round(at(99), 2),
      maxMs: round(sorted[n - 1]!, 2),
      meanMs: round(sum / n, 2),
    };
  }
}
