import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { SERVER_NODE_FLAGS } from '../app/node-flags.js';

/**
 * The real server as a child process: `app/main.ts` (built, or bundled for the
 * tests) started with `SK_*` variables, exactly as `npm start` starts it. Kill
 * it with SIGKILL to simulate a crash, or SIGTERM for a graceful shutdown.
 */
export interface ServerProcessOptions {
  /** The server's entry point: `dist/app/main.js`, or a bundle of `app/main.ts`. */
  entry: string;
  /** `SK_*` settings; `SK_DATA_DIR` and the MQTT port at least. */
  env: Record<string, string>;
  /** How long to wait for "sunshine-kitchen ready" before giving up. */
  readyTimeoutMs?: number;
  /** Where the child's log lines go (default: dropped). */
  onLog?: (line: string) => void;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ServerProcess {
  readonly exited: Promise<Exit>;
  /** The child's stderr, kept for the report when it dies by itself. */
  private readonly errors: string[] = [];

  private constructor(
    readonly child: ChildProcess,
    readonly mqttUrl: string,
    readonly httpUrl: string,
    exited: Promise<Exit>,
    errors: string[],
  ) {
    this.exited = exited;
    this.errors = errors;
  }

  /** Starts the server and resolves once it logged that it is ready (MQTT and HTTP listening). */
  static start(options: ServerProcessOptions): Promise<ServerProcess> {
    // The flags `npm start` runs the server with.
    const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, options.entry], {
      env: { PATH: process.env.PATH ?? '', SK_LOG_LEVEL: 'info', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const errors: string[] = [];
    const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      errors.push(line);
      if (errors.length > 50) errors.shift();
      options.onLog?.(line);
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`server not ready within ${options.readyTimeoutMs ?? 30_000} ms`));
      }, options.readyTimeoutMs ?? 30_000);
      void exited.then((exit) => {
        clearTimeout(timer);
        reject(new Error(`server exited before it was ready (${exit.code ?? exit.signal}): ${errors.slice(-5).join(' | ')}`));
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        options.onLog?.(line);
        const entry = parseLog(line);
        if (entry?.msg !== 'sunshine-kitchen ready') return;
        clearTimeout(timer);
        resolve(new ServerProcess(child, String(entry.mqtt), String(entry.http), exited, errors));
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Peak resident memory of the child so far (Linux VmHWM), in MiB; undefined where /proc is missing or it has exited. */
  peakRssMiB(): number | undefined {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
      return kb === undefined ? undefined : Math.round((Number(kb) / 1024) * 10) / 10;
    } catch {
      // The process is gone (or this is not Linux): no figure.
      return undefined;
    }
  }

  /** Sends a signal and waits for the exit. */
  async stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  lastErrors(): string[] {
    return [...this.errors];
  }
}

function parseLog(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    // Not a pino line (a stray console message): not the one we wait for.
    return undefined;
  }
}

/** A TCP port free right now on 127.0.0.1, so a restarted server can listen where its devices reconnect. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
