import type { Device } from '../../../contracts/registry.js';
import { DeviceView } from '../device-view.js';
import { h } from '../dom.js';
import { st } from './site.i18n.js';

/**
 * The frame every device card of the site view shares: an `article` with
 * `data-card` and `data-device-id`, holding the live device row (value, state, age).
 */
export function deviceCard(card: 'temperature' | 'oil' | 'camera', device: Device, timezone: string): { element: HTMLElement; row: DeviceView } {
  const element = h('article', `card card-${card}`);
  element.dataset.card = card;
  element.dataset.deviceId = device.id;
  const row = new DeviceView(device, timezone);
  const list = h('ul', 'devices');
  list.append(row.el);
  element.append(list);
  return { element, row };
}

/** A muted line of a card, with its `data-field` hook. */
export function cardNote(field: string, text = ''): HTMLParagraphElement {
  const p = h('p', 'card-note', text);
  p.dataset.field = field;
  return p;
}

/** The link from a card to the device view. */
export function detailsLink(deviceId: string): HTMLAnchorElement {
  const a = h('a', 'card-link', st('details'));
  a.href = `#/devices/${encodeURIComponent(deviceId)}`;
  return a;
}
