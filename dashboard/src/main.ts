import './style.css';
import { ApiClient, ApiError } from './api.js';
import { setText } from './dom.js';
import { setLocale, t, type MessageKey } from './i18n.js';
import { LiveConnection, type ConnectionState } from './live.js';
import { DashboardView } from './render.js';
import { Credentials, login, LoginError } from './auth.js';
import { clearTokens, loadTokens, takeTokenFromFragment, type Tokens } from './token.js';

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html lacks #${id}`);
  return el as T;
}

const ui = {
  conn: byId('conn'),
  connText: byId('conn-text'),
  changeToken: byId<HTMLButtonElement>('change-token'),
  tokenView: byId('token-view'),
  tokenForm: byId<HTMLFormElement>('token-form'),
  userInput: byId<HTMLInputElement>('user-input'),
  tokenInput: byId<HTMLInputElement>('token-input'),
  tokenError: byId('token-error'),
  status: byId('status'),
  statusText: byId('status-text'),
  statusRetry: byId<HTMLButtonElement>('status-retry'),
  regions: byId('regions'),
  legend: byId('legend'),
};

const CONN_TEXT: Readonly<Record<ConnectionState, MessageKey>> = {
  connecting: 'connConnecting',
  connected: 'connConnected',
  reconnecting: 'connReconnecting',
  disconnected: 'connDisconnected',
};

function applyStaticText(): void {
  document.title = t('title');
  setText(byId('page-title'), t('title'));
  setText(byId('docs-link'), t('docsLink'));
  setText(byId('metrics-link'), t('metricsLink'));
  setText(byId('conn-label'), `${t('connLabel')}: `);
  setText(ui.changeToken, t('changeToken'));
  setText(byId('token-heading'), t('tokenHeading'));
  setText(byId('user-label'), t('userLabel'));
  setText(byId('token-label'), t('tokenLabel'));
  setText(byId('token-submit'), t('tokenSubmit'));
  setText(byId('token-hint'), t('tokenHint'));
  setText(ui.statusRetry, t('retry'));
  setText(ui.legend, t('legend'));
}

function setConnection(state: ConnectionState): void {
  ui.conn.dataset.connectionState = state;
  setText(ui.connText, t(CONN_TEXT[state]));
}

function showStatus(text: string | null, retry?: () => void): void {
  ui.status.hidden = text === null;
  setText(ui.statusText, text ?? '');
  ui.statusRetry.hidden = !retry;
  ui.statusRetry.onclick = retry ?? null;
}

const UNKNOWN_DEVICE_REFRESH_MS = 10_000;

/** One signed-in view of the page; torn down on a refused token or a token change. */
class Session {
  private view: DashboardView | undefined;
  private live: LiveConnection | undefined;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  /** Sites with a device refresh in flight, and those that asked for another while it ran. */
  private readonly refreshing = new Set<string>();
  private readonly refreshAgain = new Set<string>();
  private readonly unknownRefreshAt = new Map<string, number>();

  private readonly api: ApiClient;

  constructor(
    readonly credentials: Credentials,
    private readonly onUnauthorized: () => void,
  ) {
    this.api = new ApiClient(credentials);
  }

  async start(): Promise<void> {
    showStatus(t('loading'));
    ui.changeToken.hidden = false;
    let loaded;
    try {
      loaded = await Promise.all([this.api.regions(), this.api.sites()]);
    } catch (error) {
      this.fail(error, () => void this.start());
      return;
    }
    if (this.closed) return;
    const [regions, sites] = loaded;
    showStatus(null);
    ui.legend.hidden = false;
    const view = new DashboardView(ui.regions, regions, sites);
    this.view = view;
    const siteIds = sites.map((s) => s.id);

    this.live = new LiveConnection(this.credentials, siteIds, {
      state: (state) => setConnection(state),
      reading: (r) => {
        const device = view.device(r.deviceId);
        if (device) device.applyReading(r.ts, r.seq, r.values, true);
        else this.refreshForUnknown(r.siteId);
      },
      presence: (p) => {
        const device = view.device(p.deviceId);
        if (device) device.setPresence(p.online, p.at);
        else this.refreshForUnknown(p.siteId);
      },
      finding: (f) => view.device(f.deviceId)?.showFinding(f),
      subscribed: (ok, failed) => {
        for (const id of ok) view.sites.get(id)?.setLive(true);
        for (const f of failed) view.sites.get(f.siteId)?.setLive(false, f.message);
        // Catch up on whatever happened while unsubscribed (first load, or a reconnect).
        for (const id of ok) this.refresh(id);
      },
      unauthorized: () => this.onUnauthorized(),
    });
    ui.conn.hidden = false;
    this.live.connect();

    for (const id of siteIds) this.refresh(id);
    this.ticker = setInterval(() => view.tick(Date.now()), 1000);
  }

  close(): void {
    this.closed = true;
    this.credentials.close();
    clearInterval(this.ticker);
    this.live?.close();
    ui.regions.replaceChildren();
    ui.conn.hidden = true;
    ui.legend.hidden = true;
    ui.changeToken.hidden = true;
    showStatus(null);
  }

  /** Re-read a site's devices; requests for a site already being read are merged into one more read. */
  private refresh(siteId: string): void {
    const site = this.view?.sites.get(siteId);
    if (!site || this.closed) return;
    if (this.refreshing.has(siteId)) {
      this.refreshAgain.add(siteId);
      return;
    }
    this.refreshing.add(siteId);
    this.api
      .devices(siteId)
      .then(
        (devices) => {
          if (!this.closed) site.setDevices(devices);
        },
        (error: unknown) => {
          if (this.closed) return;
          if (error instanceof ApiError && error.unauthorized) this.onUnauthorized();
          else site.showError(error instanceof Error ? error.message : String(error));
        },
      )
      .finally(() => {
        this.refreshing.delete(siteId);
        if (this.refreshAgain.delete(siteId)) this.refresh(siteId);
      });
  }

  /**
   * An event for a device the page does not list: most likely added after the
   * page loaded. Re-read its site, but at most once per interval, so a device the
   * page deliberately hides (revoked) cannot cause a request per reading.
   */
  private refreshForUnknown(siteId: string): void {
    const now = Date.now();
    if (now - (this.unknownRefreshAt.get(siteId) ?? 0) < UNKNOWN_DEVICE_REFRESH_MS) return;
    this.unknownRefreshAt.set(siteId, now);
    this.refresh(siteId);
  }

  private fail(error: unknown, retry: () => void): void {
    if (this.closed) return;
    if (error instanceof ApiError && error.unauthorized) {
      this.onUnauthorized();
      return;
    }
    showStatus(t('loadFailed', { message: error instanceof Error ? error.message : String(error) }), retry);
  }
}

let session: Session | undefined;

function showTokenForm(message?: MessageKey): void {
  session?.close();
  session = undefined;
  ui.tokenView.hidden = false;
  ui.tokenError.hidden = !message;
  setText(ui.tokenError, message ? t(message) : '');
  ui.tokenInput.setAttribute('aria-invalid', String(Boolean(message)));
  ui.tokenInput.value = '';
  (ui.userInput.value ? ui.tokenInput : ui.userInput).focus();
}

function open(tokens: Tokens): void {
  ui.tokenView.hidden = true;
  session?.close();
  const current = new Session(new Credentials(tokens), () => {
    if (session !== current) return;
    clearTokens();
    showTokenForm('tokenRejected');
  });
  session = current;
  void current.start();
}

ui.tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const username = ui.userInput.value.trim();
  const password = ui.tokenInput.value;
  const refuse = (message: MessageKey) => {
    ui.tokenError.hidden = false;
    setText(ui.tokenError, t(message));
    ui.tokenInput.setAttribute('aria-invalid', 'true');
    ui.tokenInput.focus();
  };
  if (!username || !password) return refuse('tokenEmpty');
  login(username, password).then(
    (tokens) => open(tokens),
    (error: unknown) => refuse(error instanceof LoginError ? (error.status === 429 ? 'loginThrottled' : 'loginFailed') : 'loginFailed'),
  );
});

ui.changeToken.addEventListener('click', () => {
  void session?.credentials.logout();
  clearTokens();
  showTokenForm();
});

// A new `#token=…` link opened in this same tab replaces the current token.
window.addEventListener('hashchange', () => {
  const token = takeTokenFromFragment();
  if (token) open(token);
});

setLocale('zh-CN');
applyStaticText();
setConnection('disconnected');
const initial = takeTokenFromFragment() ?? loadTokens();
if (initial) open(initial);
else showTokenForm();
