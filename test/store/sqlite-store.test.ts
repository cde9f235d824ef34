import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../store/sqlite/index.js';
import type { Store } from '../../store/index.js';
import { describeAlertStoreContract } from './alert-store-contract.js';
import { describeStoreContract, type StoreHandle } from './store-contract.js';

async function openSqliteFile(): Promise<StoreHandle> {
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
}

describeStoreContract('sqlite (file)', openSqliteFile);
describeAlertStoreContract('sqlite (file)', openSqliteFile);
