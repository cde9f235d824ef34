import { round, type LatencySummary } from './protocol.js';
import { Column } from './timeline.js';

/**
 * Keeps every latency sample (a few hundred thousand per run fit easily in a
 * Float64Array) so the percentiles are exact, not bucketed.
 */
export class LatencyRecorder {
  private readonly samples = new Column();

  add(ms: number): void {
    this.samples.push(ms);
  }

  get count(): number {
    return this.samples.length;
  }

  summary(): LatencySummary {
    const sorted = this.samples.view().slice().sort();
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
