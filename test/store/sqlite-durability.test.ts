import { fdatasync, readdirSync, readFileSync, statSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../../store/sqlite/database.js';
import { WalCheckpointer, type CheckpointCopy, type CheckpointHold } from '../../store/sqlite/checkpointer.js';
import { DurableCommits } from '../../store/sqlite/durable-commits.js';
import { openSqliteParts } from '../../store/sqlite/index.js';
import { SqliteRegistry } from '../../store/sqlite/registry.js';
import { SqliteAlerts } from '../../store/sqlite/alerts.js';
import { SqliteRuleState } from '../../store/sqlite/rule-state.js';
import type { TelemetryRecord } from '../../store/index.js';
import { newAlert } from './alert-store-contract.js';
import { newDevice, seedTree, T0 } from './store-contract.js';

type Done = (error: NodeJS.ErrnoException | null) => void;

/** An fdatasync that runs only when the test lets it: what waits for the disk can be told from what does not. */
class HeldSync {
  readonly calls: { fd: number; done: Done }[] = [];
  readonly fn = (fd: number, done: Done) => void this.calls.push({ fd, done });
  /** Completes the oldest pending sync for real, or with the given error; resolves once its caller was told. */
  release(error?: NodeJS.ErrnoException): Promise<void> {
    const call = this.calls.shift()!;
    if (error) return Promise.resolve(call.done(error));
    return new Promise((resolve) =>
      fdatasync(call.fd, (e) => {
        call.done(e);
        resolve();
      }),
    );
  }
}

const settled = async <T>(p: Promise<T>): Promise<'pending' | 'resolved' | 'rejected'> => {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  p.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  // Several turns: enough for a sync's completion callback to run through the promise chain.
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return state;
};


/** Distinct readings in the file, folded or still staged (a reading is in both between a fold and the drop from the log). */
function readingsIn(db: Database.Database): number {
  const identity = 'device_key, ts, seq, boot';
  const sql = `SELECT count(*) AS n FROM (SELECT ${identity} FROM telemetry_temperature UNION SELECT ${identity} FROM telemetry_temperature_staged)`;
  return (db.prepare(sql).get() as { n: number }).n;
}

describe('SQLite durable commits: acknowledged only after the WAL is synced, without holding the event loop', () => {
  let dir: string;
  let db: SqliteDatabase;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sk-durable-'));
    db = openDatabase({ file: join(dir, 'store.db'), synchronous: 'full' });
    db.exec('CREATE TABLE t (v INTEGER)');
  });
  afterEach(async () => {
    if (db.open) db.close();
    await rm(dir, { recursive: true, force: true });
  });

  const commitsWith = (sync: HeldSync) => new DurableCommits(db, { file: join(dir, 'store.db'), synchronous: 'full', fdatasync: sync.fn });
  const count = () => (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;

  it('commits at once but resolves only after a sync that started after the commit; commits made meanwhile share the next sync', async () => {
    const sync = new HeldSync();
    const commits = commitsWith(sync);
    const insert = commits.transaction((v: number) => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes);

    const first = insert(1);
    expect(count()).toBe(1); // committed: readers see it, the loop is free
    expect(sync.calls).toHaveLength(1);
    expect(await settled(first)).toBe('pending'); // not durable yet: no PUBACK may leave

    // Committed while the first sync is under way, which may have started before them.
    const later = [insert(2), insert(3), insert(4)];
    expect(sync.calls).toHaveLength(1);
    await sync.release();
    expect(await settled(first)).toBe('resolved');
    expect(await Promise.all(later.map(settled))).toEqual(['pending', 'pending', 'pending']);
    expect(sync.calls).toHaveLength(1); // one sync for the three of them

    await sync.release();
    expect(await Promise.all(later)).toEqual([1, 1, 1]);
    expect(sync.calls).toHaveLength(0);
    await commits.close();
  });

  it('lets a caller with nothing committed since the sync under way began share that sync', async () => {
    const sync = new HeldSync();
    const commits = commitsWith(sync);
    const insert = commits.relaxed((v: number) => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes);
    insert(1);
    insert(2);
    const first = commits.synced();
    const same = commits.synced(); // no commit in between: the sync under way covers both rows
    expect(sync.calls).toHaveLength(1);
    insert(3);
    const next = commits.synced(); // row 3 came after the sync began
    await sync.release();
    expect(await Promise.all([settled(first), settled(same), settled(next)])).toEqual(['resolved', 'resolved', 'pending']);
    expect(sync.calls).toHaveLength(1);
    await sync.release();
    await expect(next).resolves.toBeUndefined();
    await commits.close();
  });

  it('holds durable transactions back without blocking the loop until released, then runs them in the order asked; relaxed ones go on', async () => {
    const sync = new HeldSync();
    const commits = commitsWith(sync);
    const insert = commits.transaction((v: number) => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes);
    const insertRelaxed = commits.relaxed((v: number) => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes);

    const release = commits.hold();
    const waiting = [insert(1), insert(2)];
    expect(count()).toBe(0); // asked for, not run: the call returned at once
    insertRelaxed(3);
    expect(count()).toBe(1);
    expect(await Promise.all(waiting.map(settled))).toEqual(['pending', 'pending']);
    expect(count()).toBe(1);

    release();
    const after = insert(4); // asked for after the release, before the waiting ones ran: it still comes after them
    await vi.waitFor(() => expect(count()).toBe(4));
    expect(db.prepare('SELECT v FROM t ORDER BY rowid').pluck().all()).toEqual([3, 1, 2, 4]);
    // Still durable: they resolve only once the sync that covers them is done.
    expect(await settled(waiting[0]!)).toBe('pending');
    while (sync.calls.length > 0) await sync.release();
    expect(await Promise.all([...waiting, after])).toEqual([1, 1, 1]);
    expect(() => commits.hold()).not.toThrow();
    await commits.close();
  });

  it('holds durable transactions with synchronous=normal too, where they have no sync to wait for', async () => {
    const commits = new DurableCommits(db, { file: join(dir, 'store.db'), synchronous: 'normal' });
    const insert = commits.transaction((v: number) => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes);
    const release = commits.hold();
    const waiting = insert(1);
    expect(await settled(waiting)).toBe('pending');
    expect(count()).toBe(0);
    release();
    await expect(waiting).resolves.toBe(1);
    expect(count()).toBe(1);
  });

  it('keeps every other transaction on the connection at synchronous=FULL', () => {
    const commits = commitsWith(new HeldSync());
    void commits.transaction(() => db.prepare('INSERT INTO t (v) VALUES (1)').run())();
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
  });

  it('a transaction that fails is rolled back and thrown at once, with no sync to wait for', () => {
    const sync = new HeldSync();
    const commits = commitsWith(sync);
    const failing = commits.transaction(() => {
      db.prepare('INSERT INTO t (v) VALUES (1)').run();
      throw new Error('constraint');
    });
    expect(() => failing()).toThrow('constraint');
    expect(count()).toBe(0);
    expect(sync.calls).toHaveLength(0);
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('saves rule state and presence batches without syncing on the event loop, and resolves them only once synced', async () => {
    const sync = new HeldSync();
    const commits = commitsWith(sync);
    const registry = new SqliteRegistry(db, commits);
    await seedTree(registry);
    await registry.createDevice(newDevice('fridge-1', 'site-ft'), 'pw', T0);
    const ruleState = new SqliteRuleState(db, commits);

    const saving = ruleState.saveStates([{ deviceId: 'fridge-1', state: { door_open: { since: T0 } } }], T0);
    const presence = registry.setPresenceMany([{ id: 'fridge-1', online: true, at: T0 }]);
    // Committed (readable at once) without a sync of their own: the connection is back at FULL, and the one sync on the thread pool is held.
    expect(await ruleState.loadState('fridge-1')).toEqual({ door_open: { since: T0 } });
    expect((await registry.getDevice('fridge-1'))!.online).toBe(true);
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(sync.calls).toHaveLength(1);
    expect(await settled(saving)).toBe('pending');
    expect(await settled(presence)).toBe('pending');

    await sync.release();
    await sync.release();
    await expect(saving).resolves.toBeUndefined();
    await expect(presence).resolves.toEqual([true]);
    await commits.close();
  });

  it('commits alert changes at once without a sync of their own; synced() resolves once they are on disk', async () => {
    const sync = new HeldSync();
    const commits = commitsWith(sync);
    const alerts = new SqliteAlerts(db, commits);

    const raised = await alerts.create(newAlert('fridge-1', 'site-ft'), { at: T0, actor: 'system', type: 'raised' });
    const acknowledged = await alerts.update(raised.id, { state: 'acknowledged', acknowledgedAt: T0 + 1_000 }, [{ at: T0 + 1_000, actor: 'op-1', type: 'acknowledged' }]);
    expect(acknowledged).toMatchObject({ id: raised.id, state: 'acknowledged', acknowledgedAt: T0 + 1_000 });
    expect((await alerts.events(raised.id)).map((e) => e.type)).toEqual(['raised', 'acknowledged']);
    // Neither synced inside its commit (the connection is back at FULL for everything else) nor started a sync.
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(sync.calls).toHaveLength(0);

    const synced = alerts.synced();
    expect(sync.calls).toHaveLength(1); // one sync for both changes
    expect(await settled(synced)).toBe('pending');
    await sync.release();
    await expect(synced).resolves.toBeUndefined();
    // A missing alert is refused, with nothing written.
    await expect(alerts.update(raised.id + 1, { state: 'resolved' }, [])).rejects.toThrow(RangeError);
    await commits.close();
  });

  it('after a failed sync refuses to acknowledge anything more, since a later sync can no longer vouch for the lost pages', async () => {
    const sync = new HeldSync();
    const commits = commitsWith(sync);
    const insert = commits.transaction((v: number) => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes);
    const first = insert(1);
    const second = insert(2);
    await sync.release(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    await expect(first).rejects.toMatchObject({ code: 'wal_sync_failed' });
    await expect(second).rejects.toMatchObject({ code: 'wal_sync_failed' });
    await expect(insert(3)).rejects.toThrow(/restart the server/);
    expect(sync.calls).toHaveLength(0);
  });
});

describe('SQLite WAL checkpoints in a worker thread', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sk-checkpoint-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('keeps the WAL bounded under steady writes that never checkpoint themselves, and leaves every reading in the file', async () => {
    const file = join(dir, 'store.db');
    const parts = openSqliteParts({ file, synchronous: 'full', checkpoints: { everyMs: 5, restartFrames: 1_000 } });
    expect(parts.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    await seedTree(parts.store.registry);
    const devices = 200;
    for (let d = 0; d < devices; d++) await parts.store.registry.createDevice(newDevice(`fridge-${d}`, 'site-ft'), 'pw', T0);
    // Commits of ten readings from ten devices far apart in the index: each dirties about ten pages.
    let seq = 0;
    let largestWal = 0;
    const commits = 3_000;
    for (let c = 0; c < commits; c++) {
      const readings: TelemetryRecord[] = Array.from({ length: 10 }, (_, i) => {
        seq++;
        return { deviceId: `fridge-${(seq * 37 + i) % devices}`, kind: 'temperature', ts: T0 + seq, seq, boot: 'b1', receivedAt: T0 + seq, values: { temperatureC: 4 } };
      });
      await parts.store.ingestSink.writeBatch([{ readings, findings: [], quarantine: [] }]);
      largestWal = Math.max(largestWal, statSync(`${file}-wal`).size);
    }
    // Some 30,000 frames were written (over 100 MiB of WAL if nothing checkpointed); the worker keeps it near its limit.
    expect(largestWal).toBeLessThan(40 * 1024 * 1024);
    await parts.store.close();
    const reopened = new Database(file, { readonly: true });
    expect(readingsIn(reopened)).toBe(commits * 10);
    reopened.close();
  });

  it('starts the WAL over without ever taking the write lock from a commit, holding durable commits off the event loop instead', async () => {
    const file = join(dir, 'store.db');
    const parts = openSqliteParts({ file, synchronous: 'full', checkpoints: { everyMs: 5, restartFrames: 500 } });
    await seedTree(parts.store.registry);
    const devices = 200;
    for (let d = 0; d < devices; d++) await parts.store.registry.createDevice(newDevice(`fridge-${d}`, 'site-ft'), 'pw', T0);
    // A commit that found the write lock taken would fail at once instead of sleeping on the loop in SQLite's busy handler.
    parts.db.pragma('busy_timeout = 0');
    const holds = vi.spyOn(parts.commits, 'hold');
    let seq = 0;
    let largestWal = 0;
    const refused: unknown[] = [];
    const commits = 3_000;
    for (let c = 0; c < commits; c++) {
      const readings: TelemetryRecord[] = Array.from({ length: 10 }, (_, i) => {
        seq++;
        return { deviceId: `fridge-${(seq * 37 + i) % devices}`, kind: 'temperature', ts: T0 + seq, seq, boot: 'b1', receivedAt: T0 + seq, values: { temperatureC: 4 } };
      });
      await parts.store.ingestSink.writeBatch([{ readings, findings: [], quarantine: [] }]).catch((error: unknown) => refused.push(error));
      largestWal = Math.max(largestWal, statSync(`${file}-wal`).size);
      // A turn of the event loop between commits, as between the server's group commits: the worker's requests get in.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(refused).toEqual([]);
    // About 30,000 frames written, 500 allowed: the log started over again and again, each time after a hold.
    expect(holds.mock.calls.length).toBeGreaterThan(5);
    expect(largestWal).toBeLessThan(20 * 1024 * 1024);
    await parts.store.close();
    const reopened = new Database(file, { readonly: true });
    expect(readingsIn(reopened)).toBe(commits * 10);
    reopened.close();
  });

  // Writes commits of ten readings from devices far apart in the index, a turn of the loop between them, until `done`.
  const writeUntil = async (parts: ReturnType<typeof openSqliteParts>, done: () => boolean) => {
    await seedTree(parts.store.registry);
    for (let d = 0; d < 200; d++) await parts.store.registry.createDevice(newDevice(`fridge-${d}`, 'site-ft'), 'pw', T0);
    let seq = 0;
    for (let c = 0; c < 20_000 && !done(); c++) {
      const readings: TelemetryRecord[] = Array.from({ length: 10 }, (_, i) => {
        seq++;
        return { deviceId: `fridge-${(seq * 37 + i) % 200}`, kind: 'temperature', ts: T0 + seq, seq, boot: 'b1', receivedAt: T0 + seq, values: { temperatureC: 4 } };
      });
      await parts.store.ingestSink.writeBatch([{ readings, findings: [], quarantine: [] }]);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await parts.store.close();
  };

  it('reports each copy into the file and each hold of the commits, and a hold past its limit as given up', async () => {
    const copies: CheckpointCopy[] = [];
    const holds: CheckpointHold[] = [];
    const waited = openSqliteParts({
      file: join(dir, 'waited.db'),
      synchronous: 'full',
      checkpoints: { everyMs: 5, restartFrames: 500, onCopy: (c) => copies.push(c), onHold: (h) => holds.push(h) },
    });
    const started = vi.spyOn(waited.commits, 'hold');
    await writeUntil(waited, () => holds.filter((h) => h.caughtUp).length >= 3);
    expect(holds.filter((h) => h.caughtUp).length).toBeGreaterThanOrEqual(3);
    // Every hold is reported once, when the commits go on.
    expect(holds).toHaveLength(started.mock.calls.length);
    for (const h of holds) expect(h.seconds).toBeGreaterThanOrEqual(0);
    expect(copies.length).toBeGreaterThan(holds.length);
    for (const c of copies) {
      expect(c.seconds).toBeGreaterThanOrEqual(0);
      expect(c.copiedFrames).toBeLessThanOrEqual(c.walFrames);
    }
    // The log went past its limit before each start-over.
    expect(Math.max(...copies.map((c) => c.walFrames))).toBeGreaterThan(500);

    // No time at all to copy the last frames: the commits go on at once, and the hold says it gave up.
    const gaveUp: CheckpointHold[] = [];
    const hurried = openSqliteParts({
      file: join(dir, 'hurried.db'),
      synchronous: 'full',
      checkpoints: { everyMs: 5, restartFrames: 500, maxHoldMs: 0, onHold: (h) => gaveUp.push(h) },
    });
    await writeUntil(hurried, () => gaveUp.some((h) => !h.caughtUp));
    expect(gaveUp.some((h) => !h.caughtUp)).toBe(true);
  });

  it.runIf(process.platform === 'linux')('syncs the database file after every copy of new frames, unless told not to', async () => {
    // Copies made while commits go on, after which SQLite does not sync the file itself.
    const copiesOfNewFrames = async (syncCopies: boolean) => {
      const copies: CheckpointCopy[] = [];
      const fresh = () => copies.filter((c, i) => c.copiedFrames > (copies[i - 1]?.copiedFrames ?? 0));
      const parts = openSqliteParts({
        file: join(dir, `sync-${syncCopies}.db`),
        synchronous: 'full',
        // No start-over in this test, so a copy of new frames is one that counts more copied than the one before.
        checkpoints: { everyMs: 5, restartFrames: 1_000_000, syncCopies, onCopy: (c) => copies.push(c) },
      });
      await writeUntil(parts, () => fresh().length >= 5);
      return fresh();
    };
    const synced = await copiesOfNewFrames(true);
    expect(synced.length).toBeGreaterThanOrEqual(5);
    expect(synced.filter((c) => !c.synced)).toEqual([]);
    const unsynced = await copiesOfNewFrames(false);
    expect(unsynced.length).toBeGreaterThanOrEqual(5);
    expect(unsynced.filter((c) => c.synced)).toEqual([]);
  });

  it.runIf(process.platform === 'linux')('checkpoints on a thread of lower priority than the event loop, which keeps its own', async () => {
    // Linux keeps a nice value per thread: field 19 of /proc/<pid>/task/<tid>/stat, after the name in parentheses.
    const threadsAtNice = (nice: number) =>
      readdirSync('/proc/self/task').filter((tid) => {
        let stat: string;
        try {
          stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        } catch {
          return false; // a thread that ended between the listing and the read
        }
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) === nice;
      }).length;
    const file = join(dir, 'store.db');
    const db = openDatabase({ file, synchronous: 'full' });
    expect(threadsAtNice(13)).toBe(0);
    const commits = new DurableCommits(db, { file, synchronous: 'full' });
    const checkpointer = new WalCheckpointer(db, file, commits, { niceness: 13 });
    await vi.waitFor(() => expect(threadsAtNice(13)).toBe(1));
    expect(getPriority()).toBe(0); // this thread, the one that runs the event loop
    await checkpointer.close();
    await commits.close();
    db.close();
  });

  it('hands checkpoints back to the connection, and says so, when the worker fails', async () => {
    const file = join(dir, 'store.db');
    const db = openDatabase({ file, synchronous: 'full' });
    const errors: Error[] = [];
    // A worker that cannot open its file fails at once, as one that crashed later would.
    const commits = new DurableCommits(db, { file, synchronous: 'full' });
    const checkpointer = new WalCheckpointer(db, join(dir, 'missing.db'), commits, { onError: (e) => errors.push(e) });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000);
    await checkpointer.close();
    expect(errors).toHaveLength(1);
    await commits.close();
    db.close();
  });
});
