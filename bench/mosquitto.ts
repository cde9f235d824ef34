import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { spawnPinned } from './children.js';

/** Debian's `mosquitto` package puts the broker here. */
export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

export function mosquittoVersion(): string | undefined {
  if (!existsSync(MOSQUITTO_BIN)) return undefined;
  const out = spawnSync(MOSQUITTO_BIN, ['-h'], { encoding: 'utf8' });
  const match = /mosquitto version (\S+)/.exec(`${out.stdout}${out.stderr}`);
  return match?.[1] ?? 'unknown';
}

/** A loopback port free right now (the broker binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface RunningMosquitto {
  url: string;
  process: ChildProcess;
  /** CPU seconds (user + system) the broker has used so far, from /proc. */
  cpuSeconds(): number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts Mosquitto on a free loopback port, in memory only: `persistence false`,
 * so it acknowledges a QoS 1 message without writing anything (unlike our
 * server, which commits to SQLite before the PUBACK).
 */
export async function startMosquitto(dir: string, core: number | undefined): Promise<RunningMosquitto> {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      // The one subscriber may fall behind; queue rather than drop (counted as lost if it happens).
      'max_queued_messages 100000',
      // No cap on QoS 1 deliveries awaiting the subscriber's PUBACK. With the default 20, a saturating
      // load filled the queue within two seconds and Mosquitto dropped four messages in five: it was not
      // passing the same messages to its subscriber, which is what the baseline measures.
      'max_inflight_messages 0',
      // Exactly the configuration the baseline is defined with; no set_tcp_nodelay (see bench/README.md).
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const child = spawnPinned(MOSQUITTO_BIN, ['-c', conf], { label: 'mosquitto', core, ipc: false });
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (exited) throw new Error(`mosquitto exited during start (code ${child.exitCode})`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('mosquitto did not listen within 10 s');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    process: child,
    cpuSeconds() {
      try {
        // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of /proc/pid/stat.
        const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return (Number(fields[11]) + Number(fields[12])) / ticks;
      } catch {
        // Not Linux, or the broker is gone: CPU use is a nice-to-have.
        return undefined;
      }
    },
    async stop() {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
