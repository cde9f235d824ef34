import type { Device, Region, Site } from '../../contracts/registry.js';
import type { FieldValues } from '../../contracts/payloads.js';

/** The newest stored reading of a device, as `GET /sites/:siteId/devices` returns it. */
export interface LatestReading {
  deviceId: string;
  kind: Device['kind'];
  ts: number;
  seq: number;
  boot: string;
  receivedAt: number;
  values: FieldValues;
}

export type DeviceWithLatest = Device & { latest: LatestReading | null };

/** A failed API request. `status` 0 means the request never got an answer. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The token was refused: the page goes back to the token form. */
  get unauthorized(): boolean {
    return this.status === 401;
  }
}

/** Where the client gets its bearer token, and how it renews a refused one. */
export interface TokenSource {
  readonly token: string;
  refresh(): Promise<boolean>;
}

/** A tiny client for the REST API under `/api/v1`, authenticated with a bearer token. */
export class ApiClient {
  constructor(private readonly credentials: TokenSource) {}

  regions(): Promise<Region[]> {
    return this.get('/regions');
  }

  sites(): Promise<Site[]> {
    return this.get('/sites');
  }

  devices(siteId: string): Promise<DeviceWithLatest[]> {
    return this.get(`/sites/${encodeURIComponent(siteId)}/devices`);
  }

  private async get<T>(path: string, retried = false): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`/api/v1${path}`, {
        headers: { Authorization: `Bearer ${this.credentials.token}`, Accept: 'application/json' },
        cache: 'no-store',
      });
    } catch (cause) {
      throw new ApiError(0, 'network', cause instanceof Error ? cause.message : String(cause));
    }
    // An expired access token: renew it once and try again.
    if (response.status === 401 && !retried && (await this.credentials.refresh())) return this.get(path, true);
    if (!response.ok) {
      let code = `http_${response.status}`;
      let message = response.statusText || code;
      try {
        const body = (await response.json()) as { code?: unknown; message?: unknown };
        if (typeof body.code === 'string') code = body.code;
        if (typeof body.message === 'string') message = body.message;
      } catch {
        // Not a JSON error body (a proxy's HTML page, say): keep the status text.
      }
      throw new ApiError(response.status, code, message);
    }
    return (await response.json()) as T;
  }
}
