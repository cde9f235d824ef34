import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import type { IngestWrite } from '../../store/index.js';
import { openInfluxStore, type InfluxStore } from '../../store/influx/index.js';
import { describeStoreContract, type StoreHandle } from './store-contract.js';

/**
 * The whole store contract against a real InfluxDB 2.x, when one is given:
 *
 *   INFLUX_URL=http://127.0.0.1:8086 INFLUX_ORG=my-org INFLUX_TOKEN=<all-access token> npx vitest run test/store/influx-store.test.ts
 *
 * Each test gets a bucket of its own, deleted afterwards. Writes go through the
 * outbox and the forwarder as in production; the handle waits for the outbox to
 * drain after each write, so the reads (Flux) see it. Without INFLUX_URL, CI covers
 * the adapter in halves: writes against VictoriaMetrics (test/store/influx/victoria-*.test.ts)
 * and Flux reads against recorded responses (test/store/influx/flux-reader.test.ts).
 */
const url = process.env.INFLUX_URL;
const org = process.env.INFLUX_ORG ?? 'sunshine-kitchen';
const token = process.env.INFLUX_TOKEN ?? '';

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${url}${path}`, { ...init, headers: { Authorization: `Token ${token}`, 'Content-Type': 'application/json', ...init.headers } });
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: HTTP ${response.status} ${await response.text()}`);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

let buckets = 0;
async function openInfluxHandle(): Promise<StoreHandle> {
  const { orgs } = await api<{ orgs: { id: string }[] }>(`/api/v2/orgs?org=${encodeURIComponent(org)}`);
  const name = `sk-contract-${process.pid}-${Date.now()}-${++buckets}`;
  const bucket = await api<{ id: string }>('/api/v2/buckets', { method: 'POST', body: JSON.stringify({ orgID: orgs[0]!.id, name, retentionRules: [] }) });
  const dir = await mkdtemp(join(tmpdir(), 'sk-influx-contract-'));
  const open = () => {
    const store: InfluxStore = openInfluxStore({
      sqlite: { file: join(dir, 'store.db'), synchronous: 'normal' },
      influx: { url: url!, org, bucket: name, token },
      forwarder: { baseDelayMs: 50, maxDelayMs: 1_000 },
    });
    // Read your writes: the contract reads right after writing, InfluxDB sees a reading once it left the outbox.
    const writeBatch = store.ingestSink.writeBatch.bind(store.ingestSink);
    store.ingestSink = {
      async writeBatch(writes: IngestWrite[]) {
        const results = await writeBatch(writes);
        await store.forwarder.drained();
        return results;
      },
    };
    return store;
  };
  let current = open();
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = open();
      return current;
    },
    cleanup: async () => {
      await current.close();
      await api(`/api/v2/buckets/${bucket.id}`, { method: 'DELETE' });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

if (url) describeStoreContract('influx (INFLUX_URL)', openInfluxHandle);
else describe('store contract: influx', () => it.skip('needs a real InfluxDB 2.x: set INFLUX_URL, INFLUX_ORG and INFLUX_TOKEN (see README)', () => undefined));
