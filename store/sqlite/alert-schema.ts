/**
 * Alert tables. `alerts_active` makes "one active alert per (device, rule)" a
 * property of the data, not of the code that writes it.
 */
export const ALERT_SCHEMA = `
CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY,
  device_id TEXT NOT NULL,
  site_id TEXT NOT NULL,
  rule TEXT NOT NULL,
  category TEXT NOT NULL,
  severity TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
  raised_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  cleared_at INTEGER,
  value REAL,
  limit_value REAL,
  message TEXT NOT NULL,
  detail TEXT NOT NULL,
  occurrences INTEGER NOT NULL,
  acknowledged_at INTEGER,
  acknowledged_by TEXT,
  assignee TEXT,
  resolved_at INTEGER,
  resolved_by TEXT,
  resolution TEXT,
  corrective_action TEXT,
  verdict TEXT,
  escalation TEXT NOT NULL,
  flapping INTEGER NOT NULL,
  notifications INTEGER NOT NULL,
  notified_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS alerts_active ON alerts(device_id, rule) WHERE state != 'resolved';
CREATE INDEX IF NOT EXISTS alerts_site ON alerts(site_id, id);
CREATE INDEX IF NOT EXISTS alerts_created ON alerts(created_at);
CREATE INDEX IF NOT EXISTS alerts_state ON alerts(state) WHERE state != 'resolved';
CREATE TABLE IF NOT EXISTS alert_events (
  id INTEGER PRIMARY KEY,
  alert_id INTEGER NOT NULL REFERENCES alerts(id),
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  type TEXT NOT NULL,
  text TEXT,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS alert_events_alert ON alert_events(alert_id, id);
CREATE TABLE IF NOT EXISTS rule_state (
  device_id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  saved_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rule_overrides (
  target_kind TEXT NOT NULL CHECK (target_kind IN ('site', 'device')),
  target_id TEXT NOT NULL,
  overrides TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (target_kind, target_id)
);
`;
