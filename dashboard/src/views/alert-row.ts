import type { Alert } from '../../../contracts/alerts.js';
import type { Site } from '../../../contracts/registry.js';
import { ApiError, type ApiClient } from '../api.js';
import { h } from '../dom.js';
import { DEFAULT_TIMEZONE, formatDateTime } from '../format.js';
import { buildHash } from '../router.js';
import { formatAlertValue, resolutionName, ruleName, severityName, stateName } from './alert-labels.js';
import { at } from './alerts.i18n.js';
import { keepFocus } from './view-kit.js';

export type AlertAction = 'acknowledge' | 'comment' | 'assign' | 'resolve';

/** How the row reports an action's outcome to the feed (which shows it in one status line). */
export interface AlertRowHost {
  readonly api: ApiClient;
  site(siteId: string): Site | undefined;
  /** The server's answer replaced the alert (the live push will say the same; whichever comes first wins). */
  changed(alert: Alert): void;
  say(message: string, error?: boolean): void;
}

/**
 * One alert in the feed: what, where, when, who has it; and the buttons to
 * acknowledge, comment, assign and resolve with a corrective action.
 * DOM hooks: `data-alert-id`, `data-state`, `data-severity`, `data-rule`, `data-site-id` on the
 * `li`; `[data-action=…]` buttons; `[data-field=note]`, `[data-field=assignee]`.
 */
export class AlertRow {
  readonly el: HTMLLIElement;
  private alert: Alert;
  private workOpen = false;
  private draftNote = '';
  private draftAssignee = '';

  constructor(
    alert: Alert,
    private readonly host: AlertRowHost,
    fresh = false,
  ) {
    this.alert = alert;
    this.el = h('li', 'alert-row');
    if (fresh) this.el.dataset.new = 'true';
    this.render();
  }

  get id(): number {
    return this.alert.id;
  }

  get current(): Alert {
    return this.alert;
  }

  /** Someone has the note and assignee fields open: a reload must not take the row away. */
  get working(): boolean {
    return this.workOpen;
  }

  /** A newer version of the alert (from a push or an action); an older one is ignored. */
  update(alert: Alert): void {
    if (alert.updatedAt < this.alert.updatedAt) return;
    this.alert = alert;
    this.render();
  }

  /** Re-draws the row; the focused field (and where its caret was) stays focused. */
  private render(): void {
    keepFocus(this.el, () => this.draw());
  }

  private draw(): void {
    const a = this.alert;
    const site = this.host.site(a.siteId);
    const tz = site?.timezone ?? DEFAULT_TIMEZONE;
    const el = this.el;
    el.dataset.alertId = String(a.id);
    el.dataset.state = a.state;
    el.dataset.severity = a.severity;
    el.dataset.worst = a.state === 'resolved' ? 'none' : a.severity;
    el.dataset.rule = a.rule;
    el.dataset.siteId = a.siteId;

    const head = h('div', 'alert-head');
    const badge = h('span', 'sev-badge', severityName(a.severity));
    const title = h('span', 'alert-title', ruleName(a.rule));
    const where = h('span', 'alert-where');
    const siteLink = h('a', '', site?.name ?? a.siteId);
    siteLink.href = buildHash('sites', [a.siteId]);
    const deviceLink = h('a', '', at('device', { id: a.deviceId }));
    deviceLink.href = buildHash('devices', [a.deviceId]);
    where.append(siteLink, ' › ', deviceLink);
    const state = h('span', `alert-state state-${a.state}`, a.resolution ? resolutionName(a.resolution) : stateName(a.state));
    if (el.dataset.new === 'true') head.append(h('span', 'new-tag', at('newAlert')));
    head.append(badge, title, where, state);

    const facts: string[] = [at('raisedAt', { time: formatDateTime(a.createdAt, tz) })];
    if (a.value !== null) facts.push(a.limit !== null ? at('valueLimit', { value: formatAlertValue(a.rule, a.value), limit: formatAlertValue(a.rule, a.limit) }) : at('value', { value: formatAlertValue(a.rule, a.value) }));
    if (a.acknowledgedBy && a.state !== 'resolved') facts.push(at('acknowledgedBy', { who: a.acknowledgedBy }));
    if (a.assignee) facts.push(at('assignedTo', { who: a.assignee }));
    if (a.escalation !== 'township') facts.push(at(`escalated_${a.escalation}`));
    if (a.flapping) facts.push(at('flapping'));
    if (a.resolvedBy && a.resolvedAt) facts.push(at('resolvedBy', { who: a.resolvedBy, time: formatDateTime(a.resolvedAt, tz) }));
    const meta = h('p', 'alert-meta', facts.join(' · '));

    el.replaceChildren(head, meta);
    if (a.correctiveAction) el.append(h('p', 'alert-action-note', at('correctiveAction', { text: a.correctiveAction })));
    el.append(...this.actions());
  }

  private button(action: AlertAction | 'work', label: string, primary = false): HTMLButtonElement {
    const button = h('button', primary ? 'btn-primary' : '', label);
    button.type = 'button';
    button.dataset.action = action;
    button.dataset.focusKey = action;
    return button;
  }

  /** The buttons, and below them the note and assignee fields while "work on it" is open. */
  private actions(): HTMLElement[] {
    const a = this.alert;
    const bar = h('div', 'alert-actions');
    // A resolved alert can still get its corrective action if it cleared by itself (that counts as rectified).
    const canResolve = a.state !== 'resolved' || a.resolution === 'cleared';
    if (a.state === 'open') {
      const ack = this.button('acknowledge', at('acknowledge'), true);
      ack.addEventListener('click', () => void this.act('acknowledge'));
      bar.append(ack);
    }
    const toggle = this.button('work', this.workOpen ? at('closeWork') : at('work'));
    toggle.setAttribute('aria-expanded', String(this.workOpen));
    toggle.addEventListener('click', () => {
      this.workOpen = !this.workOpen;
      this.render();
      this.el.querySelector<HTMLElement>(this.workOpen ? '[data-field="note"]' : '[data-action="work"]')?.focus();
    });
    bar.append(toggle);
    if (!this.workOpen) return [bar];

    const panel = h('div', 'alert-work');
    const noteId = `alert-note-${a.id}`;
    const noteLabel = h('label', '', at('noteLabel'));
    noteLabel.htmlFor = noteId;
    const note = h('textarea');
    note.id = noteId;
    note.rows = 2;
    note.maxLength = 2000;
    note.dataset.field = 'note';
    note.dataset.focusKey = 'note';
    note.placeholder = at('notePlaceholder');
    note.value = this.draftNote;
    note.addEventListener('input', () => (this.draftNote = note.value));
    const noteButtons = h('div', 'alert-work-buttons');
    const comment = this.button('comment', at('comment'));
    comment.addEventListener('click', () => void this.act('comment'));
    noteButtons.append(comment);
    if (canResolve) {
      const resolve = this.button('resolve', at('resolve'), true);
      resolve.addEventListener('click', () => void this.act('resolve'));
      noteButtons.append(resolve);
    }

    const assigneeId = `alert-assignee-${a.id}`;
    const assigneeLabel = h('label', '', at('assigneeLabel'));
    assigneeLabel.htmlFor = assigneeId;
    const assignee = h('input');
    assignee.id = assigneeId;
    assignee.type = 'text';
    assignee.maxLength = 100;
    assignee.dataset.field = 'assignee';
    assignee.dataset.focusKey = 'assignee';
    assignee.value = this.draftAssignee || (a.assignee ?? '');
    assignee.addEventListener('input', () => (this.draftAssignee = assignee.value));
    const assign = this.button('assign', at('assign'));
    assign.addEventListener('click', () => void this.act('assign'));
    const assignRow = h('div', 'alert-work-buttons');
    assignRow.append(assignee, assign);

    panel.append(noteLabel, note, noteButtons, assigneeLabel, assignRow);
    return [bar, panel];
  }

  private async act(action: AlertAction): Promise<void> {
    const id = this.alert.id;
    const note = this.draftNote.trim();
    const assignee = this.draftAssignee.trim();
    if ((action === 'comment' || action === 'resolve') && !note) {
      this.host.say(at('noteRequired'), true);
      this.el.querySelector<HTMLElement>('[data-field="note"]')?.focus();
      return;
    }
    if (action === 'assign' && !assignee) {
      this.host.say(at('assigneeRequired'), true);
      return;
    }
    const path = `/alerts/${id}/${action === 'comment' ? 'comments' : action}`;
    const body = action === 'comment' ? { text: note } : action === 'resolve' ? { correctiveAction: note } : action === 'assign' ? { assignee } : undefined;
    for (const button of this.el.querySelectorAll('button')) button.disabled = true;
    try {
      const changed = await this.host.api.post<Alert>(path, body);
      if (action === 'comment' || action === 'resolve') this.draftNote = '';
      if (action === 'assign') this.draftAssignee = '';
      if (action !== 'comment') this.workOpen = false;
      this.update(changed);
      this.host.changed(changed);
      this.host.say(at(`done_${action}`, { id }));
    } catch (error) {
      if (error instanceof ApiError && error.unauthorized) return;
      for (const button of this.el.querySelectorAll('button')) button.disabled = false;
      this.host.say(at('actionFailed', { message: error instanceof Error ? error.message : String(error) }), true);
    }
  }
}
