import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/**
 * Child processes of the bench: spawned pinned to a core when `taskset` is
 * there, their output prefixed onto our stderr (stdout carries only the JSON
 * result lines), and every one of them killed when the bench ends, however it
 * ends.
 */

const live = new Set<ChildProcess>();

/** Kills every child still running. Synchronous, so it is safe in an 'exit' handler. */
export function killAllChildren(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
}

let tasksetWorks: boolean | undefined;
/** Whether `taskset -c 0,1` can pin a process here (the binary exists and both cores do). */
export function canPin(cores: number): boolean {
  if (cores < 2) return false;
  tasksetWorks ??= spawnSync('taskset', ['-c', '1', 'true'], { stdio: 'ignore' }).status === 0;
  return tasksetWorks;
}

/** Open files a child may need: 20,000 sockets and then some (the shell's default is often 1,024 or 20,000). */
export const NOFILE = 65_536;
let nofile: number | undefined;
/** Whether children are started under `prlimit` (false where it is missing or refuses). */
let raised = false;
/**
 * The open-files limit children get: {@link NOFILE} where we may raise the hard
 * limit (root with CAP_SYS_RESOURCE), else the current hard limit (raising the
 * soft limit up to it needs no privilege).
 */
export function childNofile(): number {
  if (nofile !== undefined) return nofile;
  const raise = (n: number) => spawnSync('prlimit', [`--nofile=${n}:${n}`, 'true'], { stdio: 'ignore' }).status === 0;
  const hard = Number(spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim());
  if (raise(NOFILE)) [nofile, raised] = [NOFILE, true];
  else if (Number.isFinite(hard) && raise(hard)) [nofile, raised] = [hard, true];
  else nofile = Number(spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim()) || 1_024;
  return nofile;
}

function prefixLines(stream: Readable | null, label: string): void {
  if (!stream) return;
  createInterface({ input: stream }).on('line', (line) => process.stderr.write(`[${label}] ${line}\n`));
}

export interface SpawnOptions {
  label: string;
  /** Core to pin to, or undefined for no pinning. */
  core: number | undefined;
  ipc: boolean;
  /** Raise the open-files limit to {@link childNofile}. */
  manyFiles?: boolean;
  /** Environment of the child (default: ours). */
  env?: NodeJS.ProcessEnv;
}

export function spawnPinned(command: string, args: string[], options: SpawnOptions): ChildProcess {
  let [cmd, argv] = options.core === undefined ? [command, args] : ['taskset', ['-c', String(options.core), command, ...args]];
  // prlimit, like taskset, execs the command in place.
  if (options.manyFiles && childNofile() && raised) [cmd, argv] = ['prlimit', [`--nofile=${childNofile()}:${childNofile()}`, cmd, ...argv]];
  // taskset execs the command in place, so the pid and the inherited IPC fd stay the same.
  const child = spawn(cmd, argv, { stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'], ...(options.env ? { env: options.env } : {}) });
  live.add(child);
  child.once('exit', () => live.delete(child));
  prefixLines(child.stdout, options.label);
  prefixLines(child.stderr, options.label);
  return child;
}

export class ChildFailed extends Error {
  constructor(
    readonly label: string,
    message: string,
  ) {
    super(`${label}: ${message}`);
    this.name = 'ChildFailed';
  }
}

type Typed = { type: string };

/**
 * A Node child with a typed IPC channel. Messages are queued until someone
 * awaits them with {@link next}; a `fatal` message or an unexpected exit fails
 * every waiter.
 */
export class NodeChild<In extends Typed, Out extends Typed> {
  readonly process: ChildProcess;
  private readonly inbox: Out[] = [];
  private waiters: { type: string; resolve: (m: Out) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  private failure: Error | undefined;
  private closing = false;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly label: string,
    script: string,
    args: string[],
    core: number | undefined,
    nodeArgs: string[] = [],
    manyFiles = false,
  ) {
    this.process = spawnPinned(process.execPath, [...nodeArgs, script, ...args], { label, core, ipc: true, manyFiles });
    this.exited = new Promise((resolve) => this.process.once('exit', (code, signal) => resolve({ code, signal })));
    this.process.on('message', (raw) => {
      const msg = raw as Out;
      if (msg.type === 'fatal') return this.fail(new ChildFailed(label, (msg as unknown as { message: string }).message));
      const i = this.waiters.findIndex((w) => w.type === msg.type);
      if (i < 0) return void this.inbox.push(msg);
      const [w] = this.waiters.splice(i, 1);
      clearTimeout(w!.timer);
      w!.resolve(msg);
    });
    this.process.once('exit', (code, signal) => {
      if (!this.closing || code !== 0) this.fail(new ChildFailed(label, `exited unexpectedly (code ${code}, signal ${signal})`));
    });
    this.process.once('error', (error) => this.fail(new ChildFailed(label, error.message)));
  }

  /** The first crash or fatal message, if any; a bench with one is a failed bench. */
  get failed(): Error | undefined {
    return this.failure;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(this.failure);
    }
  }

  send(message: In): void {
    if (this.process.connected) this.process.send(message);
  }

  /** The next message of this type (already queued or still to come). */
  next<T extends Out['type']>(type: T, timeoutMs: number): Promise<Extract<Out, { type: T }>> {
    const i = this.inbox.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0] as Extract<Out, { type: T }>);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new ChildFailed(this.label, `no '${type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push({ type, resolve: resolve as (m: Out) => void, reject, timer });
    });
  }

  /** Asks the child to close and waits for it to exit; kills it after `graceMs`. */
  async close(message: In, graceMs: number): Promise<void> {
    this.closing = true;
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.send(message);
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    this.closing = true;
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
  }
}
