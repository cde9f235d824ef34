import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteParts, type SqliteParts } from '../../store/sqlite/index.js';
import type { Store } from '../../store/index.js';
import { describeAlertStoreContract } from './alert-store-contract.js';
import { describeStoreContract, type StoreHandle } from './store-contract.js';

async function openSqliteFile(): Promise<StoreHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'sk-store-'));
  const file = join(dir, 'store.db');
  const open = () => openSqliteParts({ file, synchronous: 'normal', rollups: { bandOf: () => ({ minC: 0, maxC: 8 }) } });
  let parts: SqliteParts = open();
  let current: Store = parts.store;
  return {
    store: current,
    reopen: async () => {
      await current.close();
      parts = open();
      current = parts.store;
      return current;
    },
    maintain: async () => {
      await parts.rollups.run();
    },
    cleanup: async () => {
      await current.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describeStoreContract('sqlite (file)', openSqliteFile);
describeAlertStoreContract('sqlite (file)', openSqliteFile);
