import type {
  Alert,
  AlertAnalytics,
  AlertCategory,
  AlertEvent,
  AlertEventType,
  AlertState,
  CameraFinding,
  ConditionDetail,
  RuleId,
  Severity,
  Device,
  DeviceId,
  DeviceKind,
  DeviceProfile,
  FieldValues,
  QuarantineReason,
  Region,
  RegionId,
  RegionLevel,
  Site,
  SiteId,
  UplinkChannel,
} from '../contracts/index.js';
import type { AccountStore, AuditLog } from './accounts.js';

export * from './accounts.js';

/**
 * Storage interfaces. Adapters live in `sqlite/` (embedded default) and, later,
 * `influx/`; every adapter passes the contract suite in test/store/.
 * Only the composition root (app/) picks an adapter.
 */

export interface NewRegion {
  id: RegionId;
  name: string;
  level: RegionLevel;
  parentId: RegionId | null;
}

export interface NewSite {
  id: SiteId;
  name: string;
  regionId: RegionId;
  address?: string | null;
  timezone?: string;
  active?: boolean;
}

export interface NewDevice {
  id: DeviceId;
  siteId: SiteId;
  kind: DeviceKind;
  label: string;
  profile: DeviceProfile;
  expectedIntervalS: number;
}

/** Result of checking a device's MQTT credentials. Unknown devices are `denied`, like wrong secrets. */
export type DeviceAuthResult = 'ok' | 'denied' | 'revoked' | 'site_inactive';

/** Which devices {@link RegistryStore.listDevices} returns. */
export interface DeviceFilter {
  siteId?: SiteId;
  scope?: SiteScope;
  /** Only devices whose id sorts after this one. */
  after?: DeviceId;
  /** At most this many. */
  limit?: number;
}

/** Regions, sites and devices. */
export interface RegistryStore {
  /** Creates or renames a region. Throws {@link RegistryError} if the parent or level does not fit the tree. */
  upsertRegion(region: NewRegion): Promise<Region>;
  listRegions(): Promise<Region[]>;
  getRegion(id: RegionId): Promise<Region | undefined>;
  /** Creates or updates a site. Throws {@link RegistryError} if its region does not exist. */
  upsertSite(site: NewSite): Promise<Site>;
  /** Sites, optionally only those in a region and all regions below it, and only those inside a caller's scope. */
  listSites(filter?: { regionId?: RegionId; scope?: SiteScope }): Promise<Site[]>;
  getSite(id: SiteId): Promise<Site | undefined>;
  /** Registers a device with its MQTT secret; only a salted hash of the secret is kept. */
  createDevice(device: NewDevice, secret: string, at: number): Promise<Device>;
  getDevice(id: DeviceId): Promise<Device | undefined>;
  /**
   * Devices in id order, optionally of one site, and only those whose site is
   * inside a caller's scope. `after` and `limit` page through them: the devices
   * with an id after `after`, at most `limit` of them.
   */
  listDevices(filter?: DeviceFilter): Promise<Device[]>;
  /** Refuses the device from now on; its secret stays refused even if rotated. */
  revokeDevice(id: DeviceId, at: number): Promise<void>;
  /** Replaces the device's secret (only its hash is kept); the old one stops working at once. */
  rotateDeviceSecret(id: DeviceId, secret: string, at: number): Promise<void>;
  /**
   * `revoked` and `site_inactive` are told only to the holder of the right secret;
   * unknown devices and wrong secrets are both `denied`.
   */
  authenticateDevice(id: DeviceId, secret: Buffer | string): Promise<DeviceAuthResult>;
  /** Records a connect or disconnect; returns false when nothing changed. */
  setPresence(id: DeviceId, online: boolean, at: number): Promise<boolean>;
  /**
   * Records many connects and disconnects in order, in one write (one fsync): a
   * fleet reconnecting after a restart must not cost one commit per device.
   * Returns, per change, whether it changed anything (as {@link setPresence}).
   */
  setPresenceMany(changes: readonly PresenceUpdate[]): Promise<boolean[]>;
  /**
   * Marks every device offline; called at start, before the broker listens, since
   * no connection survives a restart. Returns how many were marked online before.
   */
  markAllOffline(at: number): Promise<number>;
}

/** A validated reading, ready to store. */
/** One connect or disconnect, for {@link RegistryStore.setPresenceMany}. */
export interface PresenceUpdate {
  id: DeviceId;
  online: boolean;
  at: number;
}

export interface TelemetryRecord {
  deviceId: DeviceId;
  kind: DeviceKind;
  /** Device clock, epoch ms. */
  ts: number;
  seq: number;
  boot: string;
  /** Server clock, epoch ms. */
  receivedAt: number;
  values: FieldValues;
}

export interface HistoryQuery {
  deviceId: DeviceId;
  kind: DeviceKind;
  field: string;
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
  /** At most this many points come back; buckets are widened to fit. */
  maxPoints: number;
}

/** The bucket width of a history query, the same in every adapter: the range in at most `maxPoints` buckets of whole ms. */
export function historyBucketMs(q: Pick<HistoryQuery, 'from' | 'to' | 'maxPoints'>): number {
  return Math.max(1, Math.ceil((q.to - q.from) / Math.max(1, q.maxPoints)));
}

/** One downsampling bucket: readings with `t <= ts < t + bucketMs`. Booleans aggregate as 0/1. */
export interface HistoryPoint {
  t: number;
  min: number;
  max: number;
  mean: number;
  count: number;
}

export interface HistoryResult {
  bucketMs: number;
  points: HistoryPoint[];
}

export interface TelemetryReader {
  history(query: HistoryQuery): Promise<HistoryResult>;
  /** The newest reading (by device time) of each device that has one. */
  latest(devices: ReadonlyArray<{ id: DeviceId; kind: DeviceKind }>): Promise<TelemetryRecord[]>;
  /** How many readings a device has stored (for tests, exports and the benchmark). */
  count(deviceId?: DeviceId): Promise<number>;
}

export interface QuarantineEntry {
  deviceId: DeviceId | null;
  channel: UplinkChannel;
  reason: QuarantineReason;
  /** Human-readable: which field, which rule. */
  detail: string;
  payload: Buffer;
  receivedAt: number;
}

export interface StoredQuarantineEntry extends QuarantineEntry {
  id: number;
}

export interface QuarantineReader {
  /**
   * Newest first; `before` pages by id. With a `scope` other than `all`, only
   * entries of devices whose site is inside it (entries of unknown devices are admin-only).
   */
  list(query: { deviceId?: DeviceId; deviceIds?: DeviceId[]; scope?: SiteScope; before?: number; limit: number }): Promise<StoredQuarantineEntry[]>;
}

export interface FindingRecord extends CameraFinding {
  deviceId: DeviceId;
  receivedAt: number;
}

export interface FindingReader {
  list(query: { deviceId: DeviceId; limit: number }): Promise<FindingRecord[]>;
}

/** Everything one ingested message writes. */
export interface IngestWrite {
  readings: TelemetryRecord[];
  findings: FindingRecord[];
  quarantine: QuarantineEntry[];
}

/** For each reading and finding of a write: true if new, false if it was a duplicate. */
export interface IngestWriteResult {
  readingsInserted: boolean[];
  findingsInserted: boolean[];
}

/**
 * Durable writes from ingest. One call is one transaction: when the promise
 * resolves, every write in it is on disk; when it rejects, none is.
 */
export interface IngestSink {
  writeBatch(writes: IngestWrite[]): Promise<IngestWriteResult[]>;
}

/**
 * A caller's scope as the store filters by it: a region is given by its
 * materialised path (`/city/district/`), so "this region and below" is a prefix match.
 */
export type SiteScope = { kind: 'all' } | { kind: 'region'; regionPath: string } | { kind: 'sites'; siteIds: readonly SiteId[] };

export type NewAlert = Omit<Alert, 'id'>;
/** Fields of an alert that change over its life. */
export type AlertPatch = Partial<Omit<Alert, 'id' | 'deviceId' | 'siteId' | 'rule' | 'category' | 'createdAt'>>;

export interface NewAlertEvent {
  at: number;
  actor: string;
  type: AlertEventType;
  text?: string | null;
  detail?: ConditionDetail | null;
}

export interface AlertQuery {
  scope: SiteScope;
  /** `active`: open or acknowledged. */
  state?: AlertState | 'active';
  severity?: Severity;
  rule?: RuleId;
  category?: AlertCategory;
  siteId?: SiteId;
  deviceId?: DeviceId;
  /** Materialised path of a region: alerts of sites in it and below. */
  regionPath?: string;
  /** Page: alerts with an id below this. */
  before?: number;
  limit: number;
}

export interface AnalyticsQuery {
  scope: SiteScope;
  /** Alerts created in [from, to), epoch ms. */
  from: number;
  to: number;
  regionPath?: string;
  siteId?: SiteId;
}

/**
 * Alerts and their history. At most one active (not resolved) alert exists per
 * (device, rule); the adapter enforces it, so a race cannot create two.
 */
export interface AlertStore {
  /** Creates an alert with its first history event, in one transaction; resolves once committed (see {@link synced}). */
  create(alert: NewAlert, event: NewAlertEvent): Promise<Alert>;
  /** Applies a change and appends its history events, in one transaction; returns the alert as committed (see {@link synced}). */
  update(id: number, patch: AlertPatch, events: readonly NewAlertEvent[]): Promise<Alert>;
  /**
   * Resolves once every change committed before the call is on disk. `create` and
   * `update` resolve as soon as they are committed (readable), so a writer that
   * keeps its own order does not hold it while the disk syncs, and one sync covers
   * many changes. Tell nobody about a change (an API answer, a live push, a
   * notification) before this resolves.
   */
  synced(): Promise<void>;
  get(id: number): Promise<Alert | undefined>;
  /** An alert's history, oldest first. */
  events(id: number): Promise<AlertEvent[]>;
  /** Every alert not yet resolved (the engine loads them at start). */
  listActive(): Promise<Alert[]>;
  /** Newest first, filtered to the caller's scope. */
  list(query: AlertQuery): Promise<Alert[]>;
  analytics(query: AnalyticsQuery): Promise<AlertAnalytics>;
}

/** One site's counts for the jurisdiction overview. */
export interface SiteFigures {
  siteId: SiteId;
  devices: number;
  devicesOnline: number;
  cameras: number;
  camerasOnline: number;
  /** Alerts not resolved, by severity. */
  open: Record<Severity, number>;
  /** Open alerts nobody has acknowledged. */
  unacknowledged: number;
  raisedToday: number;
  rectifiedToday: number;
  /**
   * Alerts created in the period, less the dismissed ones (false AI findings): the
   * rectification rate's denominator. Open alerts count — rectified ÷ raised, as
   * regulators count 整改率 — so alerts nobody worked on lower the rate.
   */
  periodRaised: number;
  /** Of those, resolved with a corrective action. */
  periodRectified: number;
}

export interface OverviewQuery {
  scope: SiteScope;
  /** Materialised path of a region: its sites and those below. */
  regionPath?: string;
  /** Today, [dayStart, dayEnd) epoch ms. */
  dayStart: number;
  dayEnd: number;
  /** The period of rates and delays, [periodStart, periodEnd) epoch ms (alerts created in it). */
  periodStart: number;
  periodEnd: number;
}

/** Aggregates for the jurisdiction overview, one SQL pass per figure over the sites in scope. */
export interface OverviewReader {
  /** Every active site in scope (and under the region), with its counts; sites without devices or alerts included. */
  siteFigures(query: OverviewQuery): Promise<SiteFigures[]>;
  /** Time from creation to acknowledgement of each acknowledged alert created in the period. */
  ackDelays(query: OverviewQuery): Promise<Array<{ siteId: SiteId; ms: number }>>;
}

/** Where a rule override applies. */
export type RuleTargetRef = { kind: 'site'; id: SiteId } | { kind: 'device'; id: DeviceId };

/**
 * The alert engine's memory between restarts: per-device rule state (pending
 * excursions, danger-zone clocks, detector statistics) and per-site/per-device
 * rule overrides. Both are opaque JSON to the store.
 */
export interface RuleStateStore {
  /**
   * The saved state of one device, or undefined if it has none. One device at a
   * time: the engine builds 150,000 devices' rules in the background, and reading
   * every state at once held start-up for the whole fleet's JSON.
   */
  loadState(deviceId: DeviceId): Promise<unknown>;
  /** Upserts device states, in one transaction. */
  saveStates(states: ReadonlyArray<{ deviceId: DeviceId; state: unknown }>, at: number): Promise<void>;
  getOverrides(target: RuleTargetRef): Promise<unknown>;
  /** Sets (or, with `null`, removes) the overrides of a site or device. */
  setOverrides(target: RuleTargetRef, overrides: unknown, at: number): Promise<void>;
}

export interface Store {
  registry: RegistryStore;
  alerts: AlertStore;
  overview: OverviewReader;
  ruleState: RuleStateStore;
  telemetry: TelemetryReader;
  quarantine: QuarantineReader;
  findings: FindingReader;
  ingestSink: IngestSink;
  accounts: AccountStore;
  audit: AuditLog;
  /** Cheap check for readiness probes. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type RegistryErrorCode = 'parent_not_found' | 'level_mismatch' | 'region_not_found' | 'site_not_found' | 'device_exists' | 'device_not_found';

/** A registry change that would break the region tree or refer to something missing. */
export class RegistryError extends Error {
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}
