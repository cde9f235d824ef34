/**
 * `node dist/bench/profile-summary.js <file.cpuprofile> [top]`: the functions with
 * the most self time in a V8 CPU profile (as written by `--profile`), with their
 * share of the samples, so a run's hot spots read in a terminal.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: profile-summary.js <file.cpuprofile> [top=25]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
// Time per node from the samples and their deltas (hitCount alone ignores uneven sampling intervals).
const selfUs = new Map<number, number>();
const samples = profile.samples ?? [];
const deltas = profile.timeDeltas ?? [];
for (let i = 0; i < samples.length; i++) selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const perFunction = new Map<string, number>();
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const where = url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, '')}:${lineNumber + 1}` : '';
  const key = `${functionName || '(anonymous)'} ${where}`.trim();
  perFunction.set(key, (perFunction.get(key) ?? 0) + us);
}
const top = [...perFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 25));
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
for (const [name, us] of top) console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`);
