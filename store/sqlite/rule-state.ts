import type { RuleStateStore, RuleTargetRef } from '../index.js';
import type { SqliteDatabase } from './database.js';
import type { DurableCommits } from './durable-commits.js';

const overridesKey = (target: RuleTargetRef) => `${target.kind}\u0000${target.id}`;

export class SqliteRuleState implements RuleStateStore {
  private readonly stmt;
  private readonly saveMany;
  /**
   * Every override, read once: at start the engine asks for the site's and the
   * device's overrides of each of (up to) 150,000 devices, and two queries each
   * cost seconds. This process is the file's only writer, so the copy stays true.
   */
  private overrides: Map<string, string> | undefined;

  /**
   * @param commits the save commits without syncing on the event loop and
   *   resolves once synced: a flush of 150,000 devices is 600 transactions, and an
   *   fsync inside each held the loop for a millisecond or so.
   */
  constructor(db: SqliteDatabase, commits: DurableCommits) {
    this.stmt = {
      one: db.prepare<[string], { state: string }>('SELECT state FROM rule_state WHERE device_id = ?'),
      save: db.prepare(
        `INSERT INTO rule_state (device_id, state, saved_at) VALUES (?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET state = excluded.state, saved_at = excluded.saved_at`,
      ),
      allOverrides: db.prepare<[], { target_kind: string; target_id: string; overrides: string }>('SELECT target_kind, target_id, overrides FROM rule_overrides'),
      setOverrides: db.prepare(
        `INSERT INTO rule_overrides (target_kind, target_id, overrides, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (target_kind, target_id) DO UPDATE SET overrides = excluded.overrides, updated_at = excluded.updated_at`,
      ),
      deleteOverrides: db.prepare('DELETE FROM rule_overrides WHERE target_kind = ? AND target_id = ?'),
    };
    this.saveMany = commits.transaction((states: ReadonlyArray<{ deviceId: string; state: unknown }>, at: number) => {
      for (const { deviceId, state } of states) this.stmt.save.run(deviceId, JSON.stringify(state), at);
    });
  }

  async loadState(deviceId: string): Promise<unknown> {
    const row = this.stmt.one.get(deviceId);
    return row === undefined ? undefined : (JSON.parse(row.state) as unknown);
  }

  async saveStates(states: ReadonlyArray<{ deviceId: string; state: unknown }>, at: number): Promise<void> {
    if (states.length > 0) await this.saveMany(states, at);
  }

  private loadedOverrides(): Map<string, string> {
    this.overrides ??= new Map(this.stmt.allOverrides.all().map((r) => [overridesKey({ kind: r.target_kind as RuleTargetRef['kind'], id: r.target_id }), r.overrides]));
    return this.overrides;
  }

  async getOverrides(target: RuleTargetRef): Promise<unknown> {
    const json = this.loadedOverrides().get(overridesKey(target));
    // Parsed per call: callers get their own copy, as they did from the row.
    return json === undefined ? undefined : (JSON.parse(json) as unknown);
  }

  async setOverrides(target: RuleTargetRef, overrides: unknown, at: number): Promise<void> {
    const cache = this.loadedOverrides();
    if (overrides === null || overrides === undefined) {
      this.stmt.deleteOverrides.run(target.kind, target.id);
      cache.delete(overridesKey(target));
    } else {
      const json = JSON.stringify(overrides);
      this.stmt.setOverrides.run(target.kind, target.id, json, at);
      cache.set(overridesKey(target), json);
    }
  }
}
