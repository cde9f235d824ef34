import type { Alert, AlertChange, DeviceId, PresenceChange, RulePack, RuleSettings, SiteId } from '../contracts/index.js';
import type { FindingRecord, TelemetryRecord } from '../store/index.js';

/**
 * Live domain events the API pushes to dashboards. Ingest provides them; the API
 * does not import ingest, so any source with these events will do.
 */
export interface LiveFeed {
  on(event: 'reading:stored', listener: (record: TelemetryRecord, siteId: SiteId) => void): unknown;
  on(event: 'finding:stored', listener: (finding: FindingRecord, siteId: SiteId) => void): unknown;
  on(event: 'device:presence', listener: (change: PresenceChange) => void): unknown;
  off(event: 'reading:stored' | 'finding:stored' | 'device:presence', listener: (...args: never[]) => void): unknown;
}

/** Newest reading of a device from memory, when the process has one. */
export type LatestLookup = (deviceId: DeviceId) => TelemetryRecord | undefined;

/**
 * Readiness of the parts the API does not own (the MQTT listener): throws when not
 * ready; may return warnings (ready, but an operator should look, e.g. an outbox backlog).
 */
export type ReadinessCheck = () => Promise<string[] | void>;

/** The kinds of alert change, as the `alerts` socket event names them. */
export type AlertLiveEvent = AlertChange['event'];

/** Alert changes to push to dashboards (the alert lifecycle provides them). */
export interface AlertFeed {
  on(event: AlertLiveEvent, listener: (alert: Alert) => void): unknown;
  off(event: AlertLiveEvent, listener: (alert: Alert) => void): unknown;
}

/**
 * What people do to alerts. Each resolves with the alert as stored after the
 * change, or throws an AlertTransitionError when the change does not fit its state.
 * `actor` is the principal's id, recorded in the alert's history.
 */
export interface AlertActions {
  acknowledge(id: number, actor: string): Promise<Alert>;
  comment(id: number, actor: string, text: string): Promise<Alert>;
  assign(id: number, actor: string, assignee: string | null): Promise<Alert>;
  resolve(id: number, actor: string, correctiveAction: string): Promise<Alert>;
  confirm(id: number, actor: string): Promise<Alert>;
  dismiss(id: number, actor: string, reason: string): Promise<Alert>;
}

/** Facts a device's rules know even when nothing alarms (the oil separator's forecast full time). */
export type InsightLookup = (deviceId: DeviceId) => Record<string, number | string | boolean | null> | undefined;
/** Why a device's MQTT session is ended from the API. */
export type DeviceChangeReason = 'revoked' | 'secret_rotated' | 'site_inactive';

/**
 * What the API asks of the device side when a device's access changes. The API
 * imports neither broker nor ingest: the composition root connects this to the
 * broker (end the session now) and ingest (forget cached facts of the device).
 */
export interface DeviceControl {
  deviceChanged(deviceId: DeviceId, reason: DeviceChangeReason): void;
}

/**
 * Rule packs and per-site/per-device overrides, as the alert engine applies them.
 * The API validates the shape of overrides (contracts/rule-settings.ts) and stores
 * them; this port resolves effective settings and tells the engine they changed.
 */
export interface RuleConfig {
  packs(): readonly RulePack[];
  /**
   * The settings a device (or, without a device, any device of the site) is
   * evaluated with; throws `RuleSettingsError` with its problems when the layers
   * do not fit together (e.g. a site's maximum below the pack's minimum).
   */
  resolve(siteOverrides: unknown, deviceOverrides?: unknown): RuleSettings;
  /** The overrides of these devices changed: rebuild their rules (keeping their state). */
  changed(deviceIds: readonly DeviceId[]): Promise<void>;
}
