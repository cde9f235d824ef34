import type { Alert } from '../../../contracts/alerts.js';
import type { LiveFinding, LiveReading } from '../../../contracts/events.js';
import { ApiError, type ApiClient, type DeviceWithLatest } from '../api.js';
import { timeElement } from '../dates.js';
import type { DeviceView } from '../device-view.js';
import { h, setText } from '../dom.js';
import { formatConfidence, formatDateTime, formatPercent } from '../format.js';
import { ruleName, verdictName } from './alert-labels.js';
import { cardNote, deviceCard } from './device-card.js';
import { confirmFinding, dismissFinding } from './queries.js';
import { st } from './site.i18n.js';

/** A camera tile lists at most this many findings, newest first. */
const SHOWN_FINDINGS = 5;

/**
 * One kitchen camera in the site view: status (the shared device row: streaming,
 * fps, lens badges), NVR storage, and its recent AI findings, which a supervisor
 * confirms or dismisses with a reason. An AI detection is a finding for a person
 * to verify, never a verdict (domain.md).
 * DOM hooks: `[data-card="camera"][data-device-id]`, `[data-field="storage"]`,
 * `[data-finding-alert="<alert id>"]` with `data-verdict`, and its buttons
 * `[data-action="confirm"]`, `[data-action="dismiss"]`, `[data-action="dismiss-submit"]`.
 */
export class CameraTile {
  readonly element: HTMLElement;
  readonly row: DeviceView;
  private readonly storage: HTMLParagraphElement;
  private readonly list: HTMLUListElement;
  private readonly empty: HTMLParagraphElement;
  private readonly findings = new Map<number, Alert>();
  /** The drawn findings: a pending one keeps its element (and a dismiss reason being typed) across re-reads. */
  private readonly items = new Map<number, { li: HTMLLIElement; verdict: Alert['verdict']; meta: HTMLElement }>();

  constructor(
    device: DeviceWithLatest,
    private readonly timezone: string,
    private readonly api: ApiClient,
    /** Supervisors and admins judge findings; operators see them. */
    private readonly mayJudge: boolean,
  ) {
    ({ element: this.element, row: this.row } = deviceCard('camera', device, timezone));
    this.storage = cardNote('storage');
    const heading = h('h4', 'findings-heading', st('findingsHeading'));
    this.list = h('ul', 'findings');
    this.empty = h('p', 'card-note', st('noFindings'));
    this.element.append(this.storage, heading, this.list, this.empty);
    this.update(device);
  }

  update(device: DeviceWithLatest): void {
    this.row.setDevice(device, this.timezone);
    if (device.latest) this.show(device.latest.ts, device.latest.seq, device.latest.values, false);
  }

  reading(r: LiveReading): void {
    this.show(r.ts, r.seq, r.values, true);
  }

  finding(f: LiveFinding): void {
    this.row.showFinding(f);
  }

  /** The camera's unresolved finding alerts, as read over REST (start, reconnection). */
  setFindings(alerts: readonly Alert[]): void {
    this.findings.clear();
    for (const a of alerts) this.findings.set(a.id, a);
    this.render();
  }

  /** A finding alert raised, changed or resolved (live, or the answer to a click). */
  alertChanged(alert: Alert): void {
    if (alert.state === 'resolved') this.findings.delete(alert.id);
    else this.findings.set(alert.id, alert);
    this.render();
  }

  close(): void {
    // Nothing to release: no timers or listeners of its own.
  }

  private show(ts: number, seq: number, values: LiveReading['values'], flash: boolean): void {
    if (!this.row.applyReading(ts, seq, values, flash)) return;
    const free = values.storageFreePct;
    setText(this.storage, typeof free === 'number' ? st('storageFree', { value: formatPercent(free) }) : '');
  }

  private render(): void {
    const newest = [...this.findings.values()].sort((a, b) => b.raisedAt - a.raisedAt).slice(0, SHOWN_FINDINGS);
    const shown = new Set(newest.map((a) => a.id));
    for (const [id, item] of this.items) {
      if (!shown.has(id)) {
        item.li.remove();
        this.items.delete(id);
      }
    }
    const focused = document.activeElement;
    newest.forEach((alert, i) => {
      let item = this.items.get(alert.id);
      if (item && item.verdict === alert.verdict) {
        item.meta.replaceChildren(...this.metaOf(alert));
      } else {
        const fresh = this.item(alert);
        item?.li.replaceWith(fresh.li);
        item = fresh;
        this.items.set(alert.id, item);
      }
      if (this.list.children[i] !== item.li) this.list.insertBefore(item.li, this.list.children[i] ?? null);
    });
    if (focused instanceof HTMLElement && focused.isConnected && document.activeElement !== focused) focused.focus({ preventScroll: true });
    this.empty.hidden = newest.length > 0;
  }

  private metaOf(alert: Alert): Array<Node | string> {
    const confidence = typeof alert.value === 'number' ? ` · ${st('confidence', { value: formatConfidence(alert.value) })}` : '';
    return [timeElement(alert.raisedAt, formatDateTime(alert.raisedAt, this.timezone)), confidence];
  }

  private item(alert: Alert): { li: HTMLLIElement; verdict: Alert['verdict']; meta: HTMLElement } {
    const li = h('li', `finding-item severity-${alert.severity}`);
    li.dataset.findingAlert = String(alert.id);
    li.dataset.verdict = alert.verdict ?? 'pending';
    const title = h('span', 'finding-type', ruleName(alert.rule));
    const meta = h('span', 'finding-meta');
    meta.append(...this.metaOf(alert));
    const verdict = h('span', `verdict verdict-${alert.verdict ?? 'pending'}`, verdictName(alert.verdict ?? 'pending'));
    const error = h('p', 'form-error');
    error.setAttribute('role', 'alert');
    error.hidden = true;
    li.append(title, meta, verdict);
    if (alert.verdict === 'pending') {
      if (this.mayJudge) li.append(this.actions(alert, error));
      else li.append(h('span', 'card-note', st('supervisorsJudge')));
    }
    li.append(error);
    return { li, verdict: alert.verdict, meta };
  }

  private actions(alert: Alert, error: HTMLParagraphElement): HTMLElement {
    const box = h('div', 'finding-actions');
    const confirm = button(st('confirm'), 'confirm');
    const dismiss = button(st('dismiss'), 'dismiss');
    const form = h('form', 'dismiss-form');
    form.hidden = true;
    const inputId = `dismiss-reason-${alert.id}`;
    const label = h('label', '', st('dismissReason'));
    label.htmlFor = inputId;
    const reason = h('input');
    reason.id = inputId;
    reason.required = true;
    reason.maxLength = 2000;
    const submit = button(st('dismissSubmit'), 'dismiss-submit', 'submit');
    const cancel = button(st('cancel'), 'dismiss-cancel');
    form.append(label, reason, submit, cancel);
    box.append(confirm, dismiss, form);

    const run = (action: () => Promise<Alert>) => {
      for (const b of box.querySelectorAll('button')) b.disabled = true;
      error.hidden = true;
      action().then(
        (changed) => this.alertChanged(changed),
        (failure: unknown) => {
          for (const b of box.querySelectorAll('button')) b.disabled = false;
          if (failure instanceof ApiError && failure.unauthorized) return;
          error.textContent = st('actionFailed', { message: failure instanceof Error ? failure.message : String(failure) });
          error.hidden = false;
        },
      );
    };
    confirm.addEventListener('click', () => run(() => confirmFinding(this.api, alert.id)));
    dismiss.addEventListener('click', () => {
      form.hidden = false;
      dismiss.hidden = true;
      reason.focus();
    });
    cancel.addEventListener('click', () => {
      form.hidden = true;
      dismiss.hidden = false;
      dismiss.focus();
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = reason.value.trim();
      if (!text) {
        reason.focus();
        return;
      }
      run(() => dismissFinding(this.api, alert.id, text));
    });
    return box;
  }
}

function button(text: string, action: string, type: 'button' | 'submit' = 'button'): HTMLButtonElement {
  const b = h('button', `btn btn-${action}`, text);
  b.type = type;
  b.dataset.action = action;
  return b;
}
