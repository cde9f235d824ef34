import type { Alert } from '../../../contracts/alerts.js';
import type { QuarantineEntryView } from '../../../contracts/api.js';
import { timeElement } from '../dates.js';
import { h } from '../dom.js';
import { formatDateTime } from '../format.js';
import { formatAlertValue, resolutionName, ruleName, severityName, stateName } from './alert-labels.js';
import { dt } from './device.i18n.js';

/** A payload excerpt longer than this is cut in the table; the cell's title has the whole preview. */
const PAYLOAD_EXCERPT = 160;

function table(headers: readonly string[], rows: readonly HTMLTableRowElement[], caption: string): HTMLTableElement {
  const t = h('table', 'data-table');
  t.append(h('caption', 'visually-hidden', caption));
  const head = h('thead');
  const tr = h('tr');
  for (const text of headers) {
    const th = h('th', '', text);
    th.scope = 'col';
    tr.append(th);
  }
  head.append(tr);
  const body = h('tbody');
  body.append(...rows);
  t.append(head, body);
  return t;
}

function cell(...content: Array<Node | string>): HTMLTableCellElement {
  const td = h('td');
  td.append(...content);
  return td;
}

function alertValue(a: Alert, v: number | null): string {
  return v === null ? '—' : formatAlertValue(a.rule, v);
}

/**
 * A device's alerts, newest first: when, which rule, severity, state, value
 * against the limit, and how it was handled (who acknowledged, the corrective action).
 * Rows carry `data-alert-id` and `data-state`.
 */
export function alertTable(alerts: readonly Alert[], timezone: string): HTMLElement {
  if (!alerts.length) return h('p', 'card-note', dt('noAlerts'));
  const rows = alerts.map((a) => {
    const tr = h('tr', `severity-${a.severity}`);
    tr.dataset.alertId = String(a.id);
    tr.dataset.state = a.state;
    const handling: string[] = [];
    if (a.acknowledgedBy) handling.push(`${a.acknowledgedBy}`);
    if (a.resolution) handling.push(resolutionName(a.resolution));
    if (a.correctiveAction) handling.push(a.correctiveAction);
    tr.append(
      cell(timeElement(a.raisedAt, formatDateTime(a.raisedAt, timezone))),
      cell(ruleName(a.rule)),
      cell(h('span', `severity severity-${a.severity}`, severityName(a.severity))),
      cell(stateName(a.state)),
      cell(`${alertValue(a, a.value)} / ${alertValue(a, a.limit)}`),
      cell(handling.join(' · ') || '—'),
    );
    return tr;
  });
  return table([dt('colTime'), dt('colRule'), dt('colSeverity'), dt('colState'), dt('colValue'), dt('colHandling')], rows, dt('alertsHeading'));
}

/** Payloads of the device that failed validation, with the reason and an excerpt (as text, never markup). */
export function quarantineTable(entries: readonly QuarantineEntryView[], timezone: string): HTMLElement {
  if (!entries.length) return h('p', 'card-note', dt('noQuarantine'));
  const rows = entries.map((q) => {
    const tr = h('tr');
    tr.dataset.quarantineId = String(q.id);
    const code = h('code', 'payload', q.payloadPreview.length > PAYLOAD_EXCERPT ? `${q.payloadPreview.slice(0, PAYLOAD_EXCERPT)}…` : q.payloadPreview);
    code.title = q.payloadPreview;
    tr.append(cell(timeElement(q.receivedAt, formatDateTime(q.receivedAt, timezone))), cell(q.channel), cell(q.reason), cell(q.detail), cell(code));
    return tr;
  });
  return table([dt('colTime'), dt('colChannel'), dt('colReason'), dt('colDetail'), dt('colPayload')], rows, dt('quarantineHeading'));
}
