import type { RuleStateStore, RuleTargetRef } from '../index.js';
import type { SqliteDatabase } from './database.js';

export class SqliteRuleState implements RuleStateStore {
  private readonly stmt;
  private readonly saveMany;

  constructor(db: SqliteDatabase) {
    this.stmt = {
      all: db.prepare<[], { device_id: string; state: string }>('SELECT device_id, state FROM rule_state'),
      save: db.prepare(
        `INSERT INTO rule_state (device_id, state, saved_at) VALUES (?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET state = excluded.state, saved_at = excluded.saved_at`,
      ),
      getOverrides: db.prepare<[string, string], { overrides: string }>('SELECT overrides FROM rule_overrides WHERE target_kind = ? AND target_id = ?'),
      setOverrides: db.prepare(
        `INSERT INTO rule_overrides (target_kind, target_id, overrides, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (target_kind, target_id) DO UPDATE SET overrides = excluded.overrides, updated_at = excluded.updated_at`,
      ),
      deleteOverrides: db.prepare('DELETE FROM rule_overrides WHERE target_kind = ? AND target_id = ?'),
    };
    this.saveMany = db.transaction((states: ReadonlyArray<{ deviceId: string; state: unknown }>, at: number) => {
      for (const { deviceId, state } of states) this.stmt.save.run(deviceId, JSON.stringify(state), at);
    });
  }

  async loadStates(): Promise<Map<string, unknown>> {
    return new Map(this.stmt.all.all().map((r) => [r.device_id, JSON.parse(r.state) as unknown]));
  }

  async saveStates(states: ReadonlyArray<{ deviceId: string; state: unknown }>, at: number): Promise<void> {
    if (states.length > 0) this.saveMany(states, at);
  }

  async getOverrides(target: RuleTargetRef): Promise<unknown> {
    const row = this.stmt.getOverrides.get(target.kind, target.id);
    return row ? (JSON.parse(row.overrides) as unknown) : undefined;
  }

  async setOverrides(target: RuleTargetRef, overrides: unknown, at: number): Promise<void> {
    if (overrides === null || overrides === undefined) this.stmt.deleteOverrides.run(target.kind, target.id);
    else this.stmt.setOverrides.run(target.kind, target.id, JSON.stringify(overrides), at);
  }
}
