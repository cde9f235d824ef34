import type { InfluxConnection } from './line-writer.js';

/** Why the store cannot start; the message names the URL, org or bucket at fault (never the token). */
export class InfluxStartupError extends Error {
  constructor(
    readonly code: 'unreachable' | 'unhealthy' | 'unauthorized' | 'org_not_found' | 'bucket_not_found' | 'write_refused',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'InfluxStartupError';
  }
}

/**
 * Checks at start that the server answers and that the bucket can be used: InfluxDB
 * 2.x lists it (`/api/v2/buckets`); a server without that API (VictoriaMetrics,
 * InfluxDB 1.8's compatibility API) must accept a probe point in the bucket.
 * Throws {@link InfluxStartupError} with a message an operator can act on.
 */
export async function checkInflux(c: InfluxConnection, fetchImpl: typeof fetch = fetch): Promise<void> {
  const base = c.url.replace(/\/+$/, '');
  const headers = { Authorization: `Token ${c.token}` };
  const call = async (path: string, init: RequestInit = {}) => {
    try {
      return await fetchImpl(`${base}${path}`, { ...init, headers: { ...headers, ...init.headers }, signal: AbortSignal.timeout(c.timeoutMs ?? 10_000) });
    } catch (error) {
      throw new InfluxStartupError('unreachable', `InfluxDB at ${base} is unreachable (SK_INFLUX_URL): ${describe(error)}`, { cause: error });
    }
  };

  const health = await call('/health');
  if (!health.ok) throw new InfluxStartupError('unhealthy', `InfluxDB at ${base} is not healthy: HTTP ${health.status} ${await excerpt(health)}`);

  const query = new URLSearchParams({ org: c.org, name: c.bucket });
  const listed = await call(`/api/v2/buckets?${query}`);
  if (listed.status === 401 || listed.status === 403) {
    throw new InfluxStartupError('unauthorized', `InfluxDB at ${base} refused the token (SK_INFLUX_TOKEN): HTTP ${listed.status}`);
  }
  if (listed.ok) {
    const body = (await listed.json().catch(() => ({}))) as { buckets?: { name?: string }[] };
    if (body.buckets?.some((b) => b.name === c.bucket)) return;
    throw new InfluxStartupError('bucket_not_found', `bucket "${c.bucket}" (SK_INFLUX_BUCKET) does not exist in org "${c.org}" at ${base}, or the token may not read it`);
  }
  const text = await excerpt(listed);
  if (listed.status === 404 && /organization/i.test(text)) {
    throw new InfluxStartupError('org_not_found', `org "${c.org}" (SK_INFLUX_ORG) not found at ${base}: ${text}`);
  }

  // No bucket API here: the bucket is usable if it takes a point.
  const write = new URLSearchParams({ org: c.org, bucket: c.bucket, precision: 'ms' });
  const probe = await call(`/api/v2/write?${write}`, { method: 'POST', body: `sk_startup_probe ok=true ${Date.now()}`, headers: { 'Content-Type': 'text/plain' } });
  if (probe.status === 401 || probe.status === 403) {
    throw new InfluxStartupError('unauthorized', `InfluxDB at ${base} refused the token (SK_INFLUX_TOKEN): HTTP ${probe.status}`);
  }
  if (!probe.ok) {
    throw new InfluxStartupError('write_refused', `bucket "${c.bucket}" in org "${c.org}" at ${base} refused a write: HTTP ${probe.status} ${await excerpt(probe)}`);
  }
}

async function excerpt(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  return text.slice(0, 200).trim();
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
