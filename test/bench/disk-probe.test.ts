import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { probeDisk } from '../../bench/disk-probe.js';

describe('bench disk probe', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sk-disk-probe-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('times the syncs it was asked for, in order of size, and leaves nothing behind', () => {
    const summary = probeDisk(dir, { syncs: 20, maxMs: 60_000 });
    expect(summary.count).toBe(20);
    expect(summary.p50Ms).toBeGreaterThan(0);
    expect(summary.p50Ms).toBeLessThanOrEqual(summary.p99Ms);
    expect(summary.p99Ms).toBeLessThanOrEqual(summary.maxMs);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('stops at its time limit with what it timed so far', () => {
    const summary = probeDisk(dir, { syncs: 1_000_000, maxMs: 50 });
    expect(summary.count).toBeGreaterThan(0);
    expect(summary.count).toBeLessThan(1_000_000);
  });
});
