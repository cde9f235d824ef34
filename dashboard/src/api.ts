import type { Device, Region, Site } from '../../contracts/registry.js';
import type { FieldValues } from '../../contracts/payloads.js';
import type { User } from '../../contracts/accounts.js';

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

/** Query parameters; `undefined` values are left out. */
export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

function withQuery(path: string, query: Query | undefined): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * A tiny client for the REST API under `/api/v1`, authenticated with a bearer token.
 * Views call {@link get} and {@link post} with the route's path; the helpers
 * below are the calls the shell itself makes.
 */
export class ApiClient {
  /** `onUnauthorized` is called when the server refuses the token and renewing it failed. */
  constructor(
    private readonly credentials: TokenSource,
    private readonly onUnauthorized: () => void = () => undefined,
  ) {}

  /** The signed-in user (role and scope), `GET /auth/me`. */
  me(): Promise<User> {
    return this.get('/auth/me');
  }

  regions(): Promise<Region[]> {
    return this.get('/regions');
  }

  sites(): Promise<Site[]> {
    return this.get('/sites');
  }

  devices(siteId: string): Promise<DeviceWithLatest[]> {
    return this.get(`/sites/${encodeURIComponent(siteId)}/devices`);
  }

  /** `GET /api/v1{path}?{query}`. */
  get<T>(path: string, query?: Query): Promise<T> {
    return this.request('GET', withQuery(path, query));
  }

  /** `POST /api/v1{path}` with a JSON body (or none). */
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request('POST', path, body);
  }

  /** `PUT /api/v1{path}` with a JSON body. */
  put<T>(path: string, body: unknown): Promise<T> {
    return this.request('PUT', path, body);
  }

  private async request<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
    let response: Response;
    const headers: Record<string, string> = { Authorization: `Bearer ${this.credentials.token}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      response = await fetch(`/api/v1${path}`, {
        method,
        headers,
        cache: 'no-store',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (cause) {
      throw new ApiError(0, 'network', cause instanceof Error ? cause.message : String(cause));
    }
    // An expired access token: renew it once and try again.
    if (response.status === 401 && !retried && (await this.credentials.refresh())) return this.request(method, path, body, true);
    if (response.status === 401) this.onUnauthorized();
    if (!response.ok) {
      let code = `http_${response.status}`;
      let message = response.statusText || code;
      try {
        const answer = (await response.json()) as { code?: unknown; message?: unknown };
        if (typeof answer.code === 'string') code = answer.code;
        if (typeof answer.message === 'string') message = answer.message;
      } catch {
        // Not a JSON error body (a proxy's HTML page, say): keep the status text.
      }
      throw new ApiError(response.status, code, message);
    }
    return (await response.json()) as T;
  }
}
