import { HttpError, InfluxDB, type WriteApi } from '@influxdata/influxdb-client';

export interface InfluxConnection {
  url: string;
  org: string;
  bucket: string;
  token: string;
  /** Per HTTP request. */
  timeoutMs?: number;
}

/** A failed remote write. Every failure is retried (nothing may be lost); `retryAfterMs` is the server's wish. */
export class InfluxWriteError extends Error {
  constructor(
    message: string,
    readonly statusCode: number | undefined,
    readonly retryAfterMs: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'InfluxWriteError';
  }
}

export interface LineWriter {
  /** Resolves once the server confirmed every line (HTTP 204); rejects with {@link InfluxWriteError}. */
  write(lines: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Writes line protocol through @influxdata/influxdb-client's write API with the
 * client's own retries and retry buffer switched off: that buffer drops lines when
 * full, so retrying belongs to the forwarder, whose outbox is durable.
 */
export class InfluxLineWriter implements LineWriter {
  private readonly api: WriteApi;

  /** `maxLines`: the most lines one `write` may carry (the forwarder's batch size). */
  constructor(
    connection: InfluxConnection,
    private readonly maxLines = 5_000,
  ) {
    const client = new InfluxDB({ url: connection.url, token: connection.token, timeout: connection.timeoutMs ?? 10_000 });
    // ns: point times carry the sequence number below the ms (points.ts).
    this.api = client.getWriteApi(connection.org, connection.bucket, 'ns', {
      maxRetries: 0,
      maxBufferLines: 0,
      // Never flush on a timer or on size (the client would swallow the error of such a
      // flush): the forwarder decides what one request carries and awaits it.
      flushInterval: 0,
      batchSize: maxLines + 1,
      maxBatchBytes: Number.MAX_SAFE_INTEGER,
      gzipThreshold: 64 * 1024,
      // Returning a promise makes it the result of flush(), instead of the client's retry.
      writeFailed: (error) => Promise.reject(toWriteError(error)),
    });
  }

  async write(lines: readonly string[]): Promise<void> {
    if (lines.length > this.maxLines) throw new RangeError(`${lines.length} lines in one write; at most ${this.maxLines}`);
    this.api.writeRecords([...lines]);
    await this.api.flush();
  }

  async close(): Promise<void> {
    this.api.dispose();
  }
}

function toWriteError(error: Error): InfluxWriteError {
  if (error instanceof InfluxWriteError) return error;
  if (error instanceof HttpError) {
    const header = error.headers?.['retry-after'];
    const seconds = Number(Array.isArray(header) ? header[0] : header);
    const retryAfterMs = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
    return new InfluxWriteError(`InfluxDB write refused: HTTP ${error.statusCode} ${error.body ?? error.message}`, error.statusCode, retryAfterMs, { cause: error });
  }
  return new InfluxWriteError(`InfluxDB unreachable: ${error.message}`, undefined, undefined, { cause: error });
}
