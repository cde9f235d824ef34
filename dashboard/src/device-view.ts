import type { LiveFinding } from '../../contracts/events.js';
import type { FieldValues } from '../../contracts/payloads.js';
import type { Device } from '../../contracts/registry.js';
import { h, setText } from './dom.js';
import {
  fillOutOfBand,
  formatAge,
  formatConfidence,
  formatFps,
  formatMillimetres,
  formatPercent,
  formatTemperature,
  formatTime,
  temperatureOutOfBand,
} from './format.js';
import { lookup, t, type MessageKey } from './i18n.js';

const KIND_LABEL: Readonly<Record<Device['kind'], MessageKey>> = {
  temperature: 'kindTemperature',
  oil_separator: 'kindOilSeparator',
  camera: 'kindCamera',
};

/** A reading is "stale" (age shown dimmed) after this many expected intervals without a newer one. */
const STALE_INTERVALS = 3;

interface Badge {
  text: string;
  tone: 'warn' | 'info';
}

/** What one reading shows: the primary value, a secondary line, badges. */
interface Presentation {
  primary: string;
  warn: boolean;
  secondary: string;
  badges: Badge[];
}

function num(values: FieldValues, name: string): number | undefined {
  const v = values[name];
  return typeof v === 'number' ? v : undefined;
}

function present(device: Device, values: FieldValues): Presentation {
  const badges: Badge[] = [];
  switch (device.kind) {
    case 'temperature': {
      const c = num(values, 'temperatureC');
      const humidity = num(values, 'humidityPct');
      if (values.doorOpen === true) badges.push({ text: t('doorOpen'), tone: 'warn' });
      return {
        primary: c === undefined ? '—' : formatTemperature(c),
        warn: c !== undefined && temperatureOutOfBand(device.profile, c),
        secondary: humidity === undefined ? '' : t('humidity', { value: formatPercent(humidity) }),
        badges,
      };
    }
    case 'oil_separator': {
      const fill = num(values, 'fillPct');
      const grease = num(values, 'greaseMm');
      if (values.overflow === true) badges.push({ text: t('overflow'), tone: 'warn' });
      if (values.pumpOn === true) badges.push({ text: t('pumpOn'), tone: 'info' });
      return {
        primary: fill === undefined ? '—' : formatPercent(fill),
        warn: fill !== undefined && fillOutOfBand(fill),
        secondary: grease === undefined ? '' : t('greaseMm', { value: formatMillimetres(grease) }),
        badges,
      };
    }
    case 'camera': {
      const fps = num(values, 'fps');
      if (values.lensOccluded === true) badges.push({ text: t('lensOccluded'), tone: 'warn' });
      if (values.lensMoved === true) badges.push({ text: t('lensMoved'), tone: 'warn' });
      const reachable = values.online !== false;
      const streaming = values.streaming === true;
      return {
        primary: !reachable ? t('cameraUnreachable') : streaming ? t('cameraStreaming') : t('cameraNotStreaming'),
        warn: !reachable || !streaming,
        secondary: fps === undefined ? '' : formatFps(fps),
        badges,
      };
    }
  }
}

/**
 * One device in a site card, updated in place. DOM hooks for tests:
 * `data-device-id`, `data-kind`, `data-online`, `data-warn` on the item;
 * `data-field="primary" | "secondary" | "badges" | "time" | "age" | "finding"` inside it.
 */
export class DeviceView {
  readonly el: HTMLLIElement;
  private device: Device;
  private timezone: string;
  private ts = Number.NEGATIVE_INFINITY;
  private seq = -1;
  private presenceAt = Number.NEGATIVE_INFINITY;
  private findingTs = Number.NEGATIVE_INFINITY;
  private flashOdd = false;

  private readonly dot: HTMLSpanElement;
  private readonly label: HTMLSpanElement;
  private readonly profile: HTMLSpanElement;
  private readonly primary: HTMLSpanElement;
  private readonly secondary: HTMLSpanElement;
  private readonly badges: HTMLSpanElement;
  private readonly time: HTMLTimeElement;
  private readonly age: HTMLSpanElement;
  private readonly finding: HTMLParagraphElement;

  constructor(device: Device, timezone: string) {
    this.device = device;
    this.timezone = timezone;
    const el = h('li', 'device');
    el.dataset.deviceId = device.id;
    el.dataset.kind = device.kind;

    this.dot = h('span', 'dot');
    this.dot.setAttribute('role', 'img');
    const name = h('span', 'device-name');
    const kind = h('span', `kind kind-${device.kind}`, t(KIND_LABEL[device.kind]));
    this.label = h('span', 'device-label');
    this.profile = h('span', 'profile');
    name.append(kind, this.label, this.profile);

    this.primary = h('span', 'primary');
    this.primary.dataset.field = 'primary';

    const detail = h('span', 'detail');
    this.secondary = h('span', 'secondary');
    this.secondary.dataset.field = 'secondary';
    this.badges = h('span', 'badges');
    this.badges.dataset.field = 'badges';
    detail.append(this.badges, this.secondary);

    const meta = h('span', 'meta');
    this.time = h('time', 'time');
    this.time.dataset.field = 'time';
    this.time.title = t('readingAt');
    this.age = h('span', 'age');
    this.age.dataset.field = 'age';
    meta.append(this.time, this.age);

    this.finding = h('p', 'finding');
    this.finding.dataset.field = 'finding';
    this.finding.hidden = true;

    el.append(this.dot, name, this.primary, detail, meta, this.finding);
    this.el = el;
    this.setDevice(device, timezone);
    this.showValues(null);
  }

  get id(): string {
    return this.device.id;
  }

  get kind(): Device['kind'] {
    return this.device.kind;
  }

  get sortKey(): string {
    return `${['temperature', 'oil_separator', 'camera'].indexOf(this.device.kind)}|${this.device.label}`;
  }

  /** Registry data from a REST fetch (label, profile, presence). */
  setDevice(device: Device, timezone: string): void {
    this.device = device;
    this.timezone = timezone;
    setText(this.label, device.label);
    setText(this.profile, lookup(`profile_${device.profile}`) ?? device.profile);
    this.setPresence(device.online, device.presenceChangedAt ?? Number.NEGATIVE_INFINITY);
  }

  setPresence(online: boolean, at: number): void {
    if (at < this.presenceAt) return; // an older change arriving late
    this.presenceAt = at;
    this.el.dataset.online = String(online);
    this.dot.setAttribute('aria-label', online ? t('online') : t('offline'));
    this.dot.title = online ? t('online') : t('offline');
  }

  /**
   * Show a reading if it is newer than the one shown. Live pushes and REST
   * catch-ups can arrive in either order, and buffered readings arrive late.
   * Returns whether anything changed.
   */
  applyReading(ts: number, seq: number, values: FieldValues, flash: boolean): boolean {
    if (ts < this.ts || (ts === this.ts && seq <= this.seq)) return false;
    this.ts = ts;
    this.seq = seq;
    this.showValues(values);
    this.time.dateTime = new Date(ts).toISOString();
    this.tick(Date.now());
    if (flash) {
      // Alternating between two identical animations restarts it without forcing a layout;
      // style.css turns both off under prefers-reduced-motion.
      this.flashOdd = !this.flashOdd;
      this.el.classList.toggle('flash-a', this.flashOdd);
      this.el.classList.toggle('flash-b', !this.flashOdd);
    }
    return true;
  }

  showFinding(finding: LiveFinding): void {
    if (finding.ts < this.findingTs) return;
    this.findingTs = finding.ts;
    const type = lookup(`finding_${finding.type}`) ?? finding.type;
    setText(this.finding, t('findingLabel', { type, confidence: formatConfidence(finding.confidence) }));
    this.finding.title = formatTime(finding.ts, this.timezone, Date.now());
    this.finding.hidden = false;
  }

  /** Once a second: the age ("5 秒前"), and whether the reading is stale. */
  tick(now: number): void {
    if (!Number.isFinite(this.ts)) return;
    setText(this.age, formatAge(this.ts, now));
    setText(this.time, formatTime(this.ts, this.timezone, now));
    const stale = now - this.ts > STALE_INTERVALS * this.device.expectedIntervalS * 1000;
    if (stale !== this.age.classList.contains('stale')) {
      this.age.classList.toggle('stale', stale);
      this.age.title = stale ? t('staleHint') : '';
    }
  }

  private showValues(values: FieldValues | null): void {
    if (!values) {
      setText(this.primary, t('noReading'));
      this.primary.classList.add('empty');
      this.el.dataset.warn = 'false';
      return;
    }
    const p = present(this.device, values);
    this.primary.classList.remove('empty');
    setText(this.primary, p.primary);
    setText(this.secondary, p.secondary);
    this.el.dataset.warn = String(p.warn);
    this.primary.classList.toggle('warn', p.warn);
    this.primary.title = p.warn ? t('warnHint') : '';
    this.badges.replaceChildren(...p.badges.map((b) => h('span', `badge badge-${b.tone}`, b.text)));
  }
}
