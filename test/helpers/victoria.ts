import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openInfluxStore, type InfluxStore, type InfluxStoreOptions } from '../../store/influx/index.js';
import type { LineWriter } from '../../store/influx/line-writer.js';

/**
 * A real VictoriaMetrics (Debian's `victoria-metrics` package) on a loopback port
 * with a temp data dir: it accepts InfluxDB's `/api/v2/write`, which is what our
 * writer uses, and lets tests read back every sample through `/api/v1/export`.
 * It names an Influx field `{measurement}_{field}` (`temperature_temperatureC`),
 * with the tags as labels; string fields are not stored.
 *
 * `-dedup.minScrapeInterval=1ms` keeps one sample per series and millisecond: the
 * same point written twice (a batch resent after a lost confirmation) counts
 * once, as it does in InfluxDB, where the second write overwrites the first.
 */
export const VICTORIA_BIN = '/usr/bin/victoria-metrics';

/** Why the VictoriaMetrics tests cannot run here, or undefined when they can. CI sets SK_REQUIRE_VICTORIA=1, so it cannot skip. */
export function victoriaMissing(): string | undefined {
  if (existsSync(VICTORIA_BIN)) return undefined;
  const reason = `${VICTORIA_BIN} not found: apt-get install victoria-metrics to run the InfluxDB write-path tests`;
  if (process.env.SK_REQUIRE_VICTORIA) throw new Error(`SK_REQUIRE_VICTORIA is set but ${reason}`);
  return reason;
}

export interface ExportedSeries {
  metric: Record<string, string> & { __name__: string };
  values: number[];
  timestamps: number[];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class Victoria {
  private child: ChildProcess | undefined;
  readonly url: string;

  private constructor(
    readonly port: number,
    readonly dataDir: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Starts a fresh instance on a free loopback port. */
  static async start(): Promise<Victoria> {
    const vm = new Victoria(await freePort(), mkdtempSync(join(tmpdir(), 'sk-vm-')));
    await vm.resume();
    return vm;
  }

  /** (Re)starts the process on the same port and data dir. */
  async resume(): Promise<void> {
    const child = spawn(
      VICTORIA_BIN,
      [
        `-httpListenAddr=127.0.0.1:${this.port}`,
        `-storageDataPath=${join(this.dataDir, 'data')}`,
        '-retentionPeriod=100y',
        '-dedup.minScrapeInterval=1ms',
        // Recent samples are searchable at once (the default hides the last 30 s).
        '-search.latencyOffset=0s',
        '-loggerLevel=ERROR',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    this.child = child;
    // A test worker that dies must not leave its server behind.
    const reap = () => child.kill('SIGKILL');
    process.once('exit', reap);
    child.once('exit', () => process.off('exit', reap));
    for (let attempt = 0; ; attempt++) {
      if (child.exitCode !== null) throw new Error(`victoria-metrics exited with ${child.exitCode}: ${stderr}`);
      const healthy = await fetch(`${this.url}/health`).then((r) => r.ok, () => false);
      if (healthy) return;
      if (attempt > 300) throw new Error(`victoria-metrics did not become healthy: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Kills the process at once (SIGKILL), as a crash or a pulled cable would look to the writer. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** Stops the process and removes its data. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /**
   * Every sample of the series matching `selector`. New series become searchable
   * a moment after their write even after a force_flush, so this reads until two
   * reads a little apart agree and are not empty (or gives the last read after ~10 s).
   */
  async export(selector: string): Promise<ExportedSeries[]> {
    let previous: string | undefined;
    for (let attempt = 0; attempt < 40; attempt++) {
      const flushed = await fetch(`${this.url}/internal/force_flush`);
      if (!flushed.ok) throw new Error(`force_flush: HTTP ${flushed.status}`);
      const response = await fetch(`${this.url}/api/v1/export`, { method: 'POST', body: new URLSearchParams({ 'match[]': selector }) });
      if (!response.ok) throw new Error(`export: HTTP ${response.status} ${await response.text()}`);
      const text = await response.text();
      if (text !== '' && text === previous) break;
      previous = text;
      await new Promise((r) => setTimeout(r, 250));
    }
    return (previous ?? '')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as ExportedSeries);
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}

/**
 * A VictoriaMetrics and an InfluxDB store writing to it, for one test: `open`
 * (re)opens the store on the same SQLite file, `close` stops both and removes their data.
 */
export class VictoriaStoreFixture {
  store: InfluxStore | undefined;

  private constructor(
    readonly vm: Victoria,
    private readonly dir: string,
    private readonly forwarder: InfluxStoreOptions['forwarder'],
  ) {}

  static async start(forwarder: InfluxStoreOptions['forwarder'] = {}): Promise<VictoriaStoreFixture> {
    return new VictoriaStoreFixture(await Victoria.start(), mkdtempSync(join(tmpdir(), 'sk-influx-')), { baseDelayMs: 20, maxDelayMs: 200, ...forwarder });
  }

  get connection() {
    return { url: this.vm.url, org: 'sk', bucket: 'telemetry', token: 'test-token' };
  }

  open(writer?: LineWriter): InfluxStore {
    this.store = openInfluxStore({
      sqlite: { file: join(this.dir, 'store.db'), synchronous: 'normal' },
      influx: this.connection,
      forwarder: this.forwarder,
      ...(writer ? { writer } : {}),
    });
    return this.store;
  }

  async close(): Promise<void> {
    try {
      await this.store?.close();
    } finally {
      await this.vm.destroy();
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
