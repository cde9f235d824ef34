import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../contracts/index.js';
import { NotificationDispatcher } from '../../alerts/notifiers/dispatcher.js';
import { WebhookNotifier } from '../../alerts/notifiers/webhook.js';
import { createLogger } from '../../observability/logger.js';
import { createMetrics, type Metrics } from '../../observability/metrics.js';
import type { Store } from '../../store/index.js';
import { openSqliteStore } from '../../store/sqlite/index.js';
import { newAlert } from '../store/alert-store-contract.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP receiver on 127.0.0.1:0 that answers each request with the next status from a script. */
async function receiver(statuses: number[]): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = statuses[Math.min(received.length - 1, statuses.length - 1)]!;
      if (status === 429) response.setHeader('retry-after', '0');
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}

describe('webhook notifier', () => {
  let store: Store;
  let metrics: Metrics;
  let alert: Alert;
  const servers: Server[] = [];

  beforeEach(async () => {
    store = openSqliteStore({ file: ':memory:' });
    metrics = createMetrics();
    await store.registry.upsertRegion({ id: 'city', name: '阳光市', level: 'city', parentId: null });
    await store.registry.upsertRegion({ id: 'east', name: '东区', level: 'district', parentId: 'city' });
    await store.registry.upsertRegion({ id: 'east-1', name: '东一镇', level: 'township', parentId: 'east' });
    await store.registry.upsertSite({ id: 'site-1', name: '老王面馆', regionId: 'east-1' });
    alert = await store.alerts.create(newAlert('fridge-1', 'site-1', { escalation: 'district' }), { at: 1, actor: 'system', type: 'raised' });
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
    await store.close();
  });

  const dispatcher = (url: string, attempts = 4) =>
    new NotificationDispatcher({
      notifiers: [new WebhookNotifier({ url, secret: 'webhook-secret-0123456789' })],
      registry: store.registry,
      retry: { attempts, baseDelayMs: 5, maxDelayMs: 20 },
      metrics,
      logger: createLogger('silent'),
      clock: () => 42,
    });
  const count = async (outcome: string) => (await metrics.notifications.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;

  it('retries 503 and 429 answers under one delivery id, and signs the body', async () => {
    const hook = await receiver([503, 429, 200]);
    servers.push(hook.server);
    const d = dispatcher(hook.url);
    d.dispatch('escalated', alert);
    await d.idle();
    expect(hook.received).toHaveLength(3);
    const ids = new Set(hook.received.map((r) => r.headers['x-sk-delivery']));
    expect(ids.size).toBe(1);
    const last = hook.received[2]!;
    expect(last.headers['x-sk-signature']).toBe(`sha256=${createHmac('sha256', 'webhook-secret-0123456789').update(last.body).digest('hex')}`);
    const body = JSON.parse(last.body) as { event: string; alert: Alert; site: { name: string }; audience: { level: string; regionId: string } };
    expect(body.event).toBe('alert.escalated');
    expect(body.alert.id).toBe(alert.id);
    expect(body.site.name).toBe('老王面馆');
    // Escalated to the district: the audience is the site's district, found by walking up from its township.
    expect(body.audience).toEqual({ level: 'district', regionId: 'east' });
    expect(await count('sent')).toBe(1);
  });

  it('gives up at once on a client error, and after the last attempt on repeated failures', async () => {
    const rejecting = await receiver([400]);
    const down = await receiver([500]);
    servers.push(rejecting.server, down.server);
    const a = dispatcher(rejecting.url);
    const b = dispatcher(down.url, 3);
    a.dispatch('raised', alert);
    b.dispatch('raised', alert);
    await Promise.all([a.idle(), b.idle()]);
    expect(rejecting.received).toHaveLength(1);
    expect(down.received).toHaveLength(3);
    expect(await count('failed')).toBe(2);
  });

  it('retries an unreachable receiver until it answers', async () => {
    // Take a free port, close it: the first attempts are refused.
    const probe = await receiver([200]);
    const url = probe.url;
    await new Promise((resolve) => probe.server.close(resolve));
    const d = new NotificationDispatcher({
      notifiers: [new WebhookNotifier({ url })],
      registry: store.registry,
      retry: { attempts: 50, baseDelayMs: 20, maxDelayMs: 20 },
      metrics,
      logger: createLogger('silent'),
      clock: () => 42,
    });
    d.dispatch('raised', alert);
    // Bring the receiver up on the same port after a few refused attempts.
    const port = Number(new URL(url).port);
    const received: string[] = [];
    const server = createServer((request, response) => {
      received.push(request.url ?? '');
      response.writeHead(204).end();
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    servers.push(server);
    await d.idle();
    expect(received).toEqual(['/hook']);
    expect(await count('sent')).toBe(1);
  });
});
