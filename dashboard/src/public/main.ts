import type { PublicSite } from '../../../contracts/accounts.js';
import { calendarDaysBetween } from '../calendar-days.js';
import { formatDate, timeElement } from '../dates.js';
import { h } from '../dom.js';
import { formatDateTime, formatPercent } from '../format.js';
import { getLocale, saveLocale, savedLocale, setLocale } from '../i18n.js';
import { pub } from './public.i18n.js';
import './public.css';

/**
 * The public transparency page of one site (`/public.html?site=<id>`, or the
 * short `/p/<id>` from the QR code on the door): no login, made for a phone.
 * It reads `GET /api/v1/public/sites/<id>` — summaries only — and re-reads it
 * every minute while open.
 * DOM hooks: `#public-main[data-state="loading|ready|error"]`, `[data-fact="compliance|pump-out|cameras|open-alerts|devices"]`
 * each with a `[data-value]`.
 */

const REFRESH_MS = 60_000;

const main = document.getElementById('public-main') as HTMLElement;
const footer = document.getElementById('public-footer') as HTMLElement;
const brand = document.getElementById('public-brand') as HTMLElement;
const langButton = document.getElementById('public-lang') as HTMLButtonElement;

const siteId = new URLSearchParams(window.location.search).get('site') ?? '';
let last: PublicSite | undefined;
let state: 'loading' | 'ready' | 'error' = 'loading';
let problem = '';

function fact(name: string, label: string, value: string | Node, detail: string | Node, tone: 'ok' | 'warn' | 'neutral'): HTMLElement {
  const card = h('section', `fact fact-${tone}`);
  card.dataset.fact = name;
  const v = h('p', 'fact-value');
  v.dataset.value = '';
  v.append(value);
  const d = h('p', 'fact-detail');
  d.append(detail);
  card.append(h('h2', 'fact-label', label), v, d);
  return card;
}

function facts(site: PublicSite): HTMLElement[] {
  const tz = site.timezone;
  const { temperature: temp, oilSeparators: oil, cameras, devices } = site;
  const compliance =
    temp.compliance === null
      ? fact('compliance', pub('compliance'), '—', pub('complianceNone'), 'neutral')
      : fact(
          'compliance',
          `${pub('compliance')} · ${pub('complianceWindow')}`,
          formatPercent(temp.compliance * 100),
          pub('complianceDetail', { ok: temp.intervalsInRange, total: temp.intervals }),
          temp.compliance >= 0.95 ? 'ok' : 'warn',
        );

  let pumpOut: HTMLElement;
  if (oil.total === 0) pumpOut = fact('pump-out', pub('pumpOut'), '—', pub('noOilSeparator'), 'neutral');
  else if (oil.lastPumpOutAt === null) pumpOut = fact('pump-out', pub('pumpOut'), '—', pub('pumpOutNone'), 'warn');
  else {
    const days = Math.max(0, calendarDaysBetween(oil.lastPumpOutAt, Date.now(), tz));
    pumpOut = fact('pump-out', pub('pumpOut'), timeElement(oil.lastPumpOutAt, formatDate(oil.lastPumpOutAt, tz)), days === 0 ? pub('pumpOutToday') : pub('pumpOutDaysAgo', { n: days }), days <= 90 ? 'ok' : 'warn');
  }

  const camerasFact =
    cameras.total === 0
      ? fact('cameras', pub('cameras'), '—', pub('noCameras'), 'neutral')
      : fact('cameras', pub('cameras'), pub('camerasValue', { streaming: cameras.streaming, total: cameras.total }), pub('camerasOnline', { online: cameras.online }), cameras.streaming === cameras.total ? 'ok' : 'warn');

  const alerts = fact('open-alerts', pub('openAlerts'), site.openAlerts === 0 ? pub('openAlertsNone') : String(site.openAlerts), pub('openAlertsHint'), site.openAlerts === 0 ? 'ok' : 'warn');
  const online = fact('devices', pub('devices'), pub('devicesValue', { online: devices.online, total: devices.total }), '', devices.online === devices.total ? 'ok' : 'warn');
  return [compliance, pumpOut, camerasFact, alerts, online];
}

function render(): void {
  document.title = last ? pub('title', { name: last.name }) : pub('brand');
  brand.textContent = pub('brand');
  langButton.textContent = pub('switchLanguage');
  langButton.setAttribute('aria-label', pub('switchLanguageLabel'));
  main.dataset.state = state;
  if (!last) {
    main.replaceChildren(h('p', state === 'error' ? 'public-status error' : 'public-status', state === 'error' ? problem : pub('loading')));
    footer.replaceChildren(h('p', '', pub('privacy')));
    return;
  }
  const head = h('header', 'public-site');
  head.append(h('h1', 'public-name', last.name), h('p', 'public-where', [last.region, last.address ?? ''].filter(Boolean).join(' · ')));
  const grid = h('div', 'facts');
  grid.append(...facts(last));
  main.replaceChildren(head, grid);
  footer.replaceChildren(h('p', '', pub('updated', { time: formatDateTime(last.temperature.to, last.timezone), tz: last.timezone })), h('p', '', pub('privacy')));
}

async function load(): Promise<void> {
  if (!siteId) {
    state = 'error';
    problem = pub('noSite');
    return render();
  }
  try {
    const response = await fetch(`/api/v1/public/sites/${encodeURIComponent(siteId)}`, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    if (response.status === 404 || response.status === 400) {
      state = 'error';
      problem = pub('notFound');
      last = undefined;
    } else if (!response.ok) {
      // Keep showing the last good figures; say so only when there are none.
      if (!last) {
        state = 'error';
        problem = pub('failed', { message: `HTTP ${response.status}` });
      }
    } else {
      last = (await response.json()) as PublicSite;
      state = 'ready';
    }
  } catch (error) {
    if (!last) {
      state = 'error';
      problem = pub('failed', { message: error instanceof Error ? error.message : String(error) });
    }
  }
  render();
}

setLocale(savedLocale());
langButton.addEventListener('click', () => {
  const next = getLocale() === 'zh-CN' ? 'en' : 'zh-CN';
  setLocale(next);
  saveLocale(next);
  render();
});
render();
void load();
setInterval(() => void load(), REFRESH_MS);
