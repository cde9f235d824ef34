import type { AuditLog, NewAuditEntry } from '../store/index.js';

/** What a caller gives to record one action; the time is the recorder's clock. */
export type AuditInput = Omit<NewAuditEntry, 'at' | 'detail' | 'ip'> & { ip?: string | null; detail?: Record<string, unknown> };

/**
 * Records one audited action. An audit write that fails is logged by the caller's
 * error path like any store failure: the action it describes already happened,
 * so the recorder does not undo it.
 */
export type AuditRecorder = (entry: AuditInput) => Promise<void>;

export function createAuditRecorder(log: AuditLog, clock: () => number): AuditRecorder {
  return (entry) => log.record({ at: clock(), ip: entry.ip ?? null, detail: entry.detail ?? {}, actor: entry.actor, action: entry.action, target: entry.target, outcome: entry.outcome });
}
