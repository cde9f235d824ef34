import type { Device, DeviceProfile, Site } from '../../../contracts/registry.js';
import { ApiError, type DeviceWithLatest } from '../api.js';
import { h, setText } from '../dom.js';
import { lookup, t, type MessageKey } from '../i18n.js';
import './detail.css';
import { pt } from './provision.i18n.js';
import { createDevice, revokeDevice, rotateSecret } from './queries.js';
import { secretPanel } from './secret-panel.js';
import { viewFrame } from './view-frame.js';
import type { ViewFactory } from './view.js';

const KINDS: ReadonlyArray<{ kind: Device['kind']; label: MessageKey; profiles: readonly DeviceProfile[] }> = [
  { kind: 'temperature', label: 'kindTemperature', profiles: ['chilled', 'frozen', 'hot_holding', 'ambient'] },
  { kind: 'oil_separator', label: 'kindOilSeparator', profiles: ['oil_separator'] },
  { kind: 'camera', label: 'kindCamera', profiles: ['camera'] },
];
const ID_PATTERN = '[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}';

function field(form: HTMLElement, id: string, label: string, control: HTMLInputElement | HTMLSelectElement, hint?: string): void {
  control.id = id;
  const l = h('label', '', label);
  l.htmlFor = id;
  const row = h('div', 'form-row');
  row.append(l, control);
  if (hint) {
    const p = h('p', 'card-note', hint);
    p.id = `${id}-hint`;
    control.setAttribute('aria-describedby', p.id);
    row.append(p);
  }
  form.append(row);
}

function option(value: string, text: string): HTMLOptionElement {
  const o = h('option', '', text);
  o.value = value;
  return o;
}

/**
 * `#/provision`: a restaurant operator (or an admin) registers a device for one
 * of their sites and sees its MQTT secret exactly once; rotates or revokes the
 * site's devices. Supervisors watch but do not provision: they get a notice.
 * DOM hooks: `#provision-form` with `#prov-site`, `#prov-id`, `#prov-label`,
 * `#prov-kind`, `#prov-profile`, `#prov-interval`, `#prov-submit`, `#prov-error`;
 * the secret panel (`secret-panel.ts`); rows `[data-provision-device="<id>"]` with
 * `data-state="online|offline|revoked"` and `[data-action="rotate|revoke"]`.
 */
export const provisionView: ViewFactory = (ctx) => {
  const frame = viewFrame('provision', null);
  const { element, heading } = frame;
  setText(heading, pt('title'));
  const intro = h('p', 'card-note', pt('intro'));
  const secretHost = h('div', 'secret-host');
  const form = h('form', 'card provision-form');
  form.id = 'provision-form';
  form.noValidate = false;
  const listBox = h('section', 'card');
  listBox.dataset.section = 'site-devices';
  const listHeading = h('h3', 'section-title');
  const listBody = h('div', 'table-wrap');
  listBox.append(listHeading, listBody);
  element.append(intro, secretHost, form, listBox);

  let closed = false;
  let sites: Site[] = [];

  if (ctx.user.role !== 'operator' && ctx.user.role !== 'admin') {
    frame.ready();
    intro.replaceChildren(pt('notAllowed'));
    form.hidden = true;
    listBox.hidden = true;
    return { element, close: () => undefined };
  }

  const siteSelect = h('select');
  siteSelect.required = true;
  const idInput = h('input');
  idInput.required = true;
  idInput.pattern = ID_PATTERN;
  idInput.maxLength = 64;
  idInput.autocomplete = 'off';
  idInput.spellcheck = false;
  idInput.placeholder = 'fridge-1';
  const labelInput = h('input');
  labelInput.required = true;
  labelInput.maxLength = 100;
  labelInput.placeholder = pt('labelPlaceholder');
  const kindSelect = h('select');
  kindSelect.append(...KINDS.map((k) => option(k.kind, t(k.label))));
  const profileSelect = h('select');
  const intervalInput = h('input');
  intervalInput.type = 'number';
  intervalInput.min = '1';
  intervalInput.max = '86400';
  intervalInput.value = '30';
  intervalInput.required = true;
  const submit = h('button', 'btn btn-primary', pt('register'));
  submit.type = 'submit';
  submit.id = 'prov-submit';
  const error = h('p', 'form-error');
  error.id = 'prov-error';
  error.setAttribute('role', 'alert');
  error.hidden = true;
  form.append(h('h3', 'section-title', pt('registerHeading')));
  field(form, 'prov-site', pt('siteLabel'), siteSelect);
  field(form, 'prov-id', pt('idLabel'), idInput, pt('idHint'));
  field(form, 'prov-label', pt('labelLabel'), labelInput);
  field(form, 'prov-kind', pt('kindLabel'), kindSelect);
  field(form, 'prov-profile', pt('profileLabel'), profileSelect);
  field(form, 'prov-interval', pt('intervalLabel'), intervalInput);
  form.append(submit, error);

  const showProfiles = () => {
    const kind = KINDS.find((k) => k.kind === kindSelect.value) ?? KINDS[0]!;
    profileSelect.replaceChildren(...kind.profiles.map((p) => option(p, lookup(`profile_${p}`) ?? p)));
  };
  showProfiles();
  kindSelect.addEventListener('change', showProfiles);

  const showFailure = (target: HTMLElement, failure: unknown) => {
    if (failure instanceof ApiError && failure.unauthorized) return;
    target.textContent = pt('failed', { message: failure instanceof Error ? failure.message : String(failure) });
    target.hidden = false;
  };

  /** The secret panel replaces any earlier one: one secret on screen at a time. */
  const showSecret = (deviceId: string, secret: string) => {
    secretHost.replaceChildren(secretPanel(deviceId, secret, () => idInput.focus()));
    secretHost.querySelector<HTMLButtonElement>('[data-action="copy-secret"]')?.focus();
  };

  async function loadDevices(): Promise<void> {
    const site = sites.find((s) => s.id === siteSelect.value);
    if (!site) return;
    setText(listHeading, pt('devicesHeading', { site: site.name }));
    const devices = await ctx.api.devices(site.id);
    if (closed || siteSelect.value !== site.id) return;
    listBody.replaceChildren(devices.length ? deviceTable(devices) : h('p', 'card-note', pt('noDevices')));
  }

  function deviceTable(devices: readonly DeviceWithLatest[]): HTMLTableElement {
    const table = h('table', 'data-table');
    const head = h('tr');
    for (const text of [pt('colId'), pt('colLabel'), pt('colKind'), pt('colState'), pt('colActions')]) {
      const th = h('th', '', text);
      th.scope = 'col';
      head.append(th);
    }
    const thead = h('thead');
    thead.append(head);
    const body = h('tbody');
    for (const d of devices) {
      const tr = h('tr');
      tr.dataset.provisionDevice = d.id;
      const state = d.revokedAt !== null ? 'revoked' : d.online ? 'online' : 'offline';
      tr.dataset.state = state;
      const actions = h('td', 'row-actions');
      const rowError = h('span', 'form-error');
      rowError.hidden = true;
      if (state !== 'revoked') {
        const rotate = h('button', 'btn', pt('rotate'));
        rotate.type = 'button';
        rotate.dataset.action = 'rotate';
        rotate.addEventListener('click', () => {
          if (!window.confirm(pt('confirmRotate', { id: d.id }))) return;
          rotateSecret(ctx.api, d.id).then(
            (answer) => showSecret(answer.deviceId, answer.secret),
            (failure: unknown) => showFailure(rowError, failure),
          );
        });
        const revoke = h('button', 'btn btn-danger', pt('revoke'));
        revoke.type = 'button';
        revoke.dataset.action = 'revoke';
        revoke.addEventListener('click', () => {
          if (!window.confirm(pt('confirmRevoke', { id: d.id }))) return;
          revokeDevice(ctx.api, d.id).then(
            () => loadDevices(),
            (failure: unknown) => showFailure(rowError, failure),
          );
        });
        actions.append(rotate, revoke);
      }
      actions.append(rowError);
      const stateText = state === 'revoked' ? pt('stateRevoked') : state === 'online' ? pt('stateOnline') : pt('stateOffline');
      for (const text of [d.id, d.label, t(KINDS.find((k) => k.kind === d.kind)!.label), stateText]) tr.append(h('td', '', text));
      tr.append(actions);
      body.append(tr);
    }
    table.append(thead, body);
    return table;
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    error.hidden = true;
    submit.disabled = true;
    setText(submit, pt('registering'));
    createDevice(ctx.api, {
      id: idInput.value.trim(),
      siteId: siteSelect.value,
      kind: kindSelect.value as Device['kind'],
      label: labelInput.value.trim(),
      profile: profileSelect.value as DeviceProfile,
      expectedIntervalS: Number(intervalInput.value),
    })
      .then(
        (created) => {
          if (closed) return;
          showSecret(created.device.id, created.secret);
          idInput.value = '';
          labelInput.value = '';
          return loadDevices();
        },
        (failure: unknown) => showFailure(error, failure),
      )
      .finally(() => {
        submit.disabled = false;
        setText(submit, pt('register'));
      });
  });
  const devicesFailed = (failure: unknown) => frame.fail(failure, pt('noSites'), () => void loadDevices().catch(devicesFailed));
  siteSelect.addEventListener('change', () => void loadDevices().catch(devicesFailed));

  const loadSites = () =>
    ctx.api.sites().then(
      (list) => {
        if (closed) return;
        frame.ready();
        sites = list.filter((s) => s.active);
        if (!sites.length) {
          intro.replaceChildren(pt('noSites'));
          form.hidden = true;
          listBox.hidden = true;
          return;
        }
        siteSelect.replaceChildren(...sites.map((s) => option(s.id, s.name)));
        void loadDevices().catch(devicesFailed);
      },
      (failure: unknown) => frame.fail(failure, pt('noSites'), () => void loadSites()),
    );
  void loadSites();

  return {
    element,
    close() {
      closed = true;
      // Leaving the view takes any secret on screen with it.
      secretHost.replaceChildren();
    },
  };
};
