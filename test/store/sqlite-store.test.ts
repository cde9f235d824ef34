import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../store/sqlite/index.js';
import type { Store } from '../../store/index.js';
import { describeStoreContract } from './store-contract.js';

/*
 * BUG (store/sqlite/telemetry.ts, history(), the bucket expression `(ts - @from) / @bucket`):
 * better-sqlite3 binds JavaScript numbers as REAL, so the division is a floating-point
 * division and every distinct `ts` becomes its own group. history() returns one point
 * per reading (300 readings, maxPoints 12 → 300 points, each at t = ts) instead of at
 * most maxPoints buckets. Casting the bucket index to INTEGER fixes it.
 */

describeStoreContract(
  'sqlite (file)',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sk-store-'));
    const file = join(dir, 'store.db');
    let current: Store = openSqliteStore({ file, synchronous: 'normal' });
    return {
      store: current,
      reopen: async () => {
        await current.close();
        current = openSqliteStore({ file, synchronous: 'normal' });
        return current;
      },
      cleanup: async () => {
        await current.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
);
