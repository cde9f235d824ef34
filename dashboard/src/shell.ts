import type { User } from '../../contracts/accounts.js';
import { ApiClient, ApiError } from './api.js';
import type { Credentials } from './auth.js';
import { h, setText } from './dom.js';
import { t, type MessageKey } from './i18n.js';
import { LiveSocket, type ConnectionState } from './live.js';
import type { Router } from './router.js';
import type { View, ViewContext } from './views/view.js';

/** The parts of `index.html` the signed-in shell fills. */
export interface ShellElements {
  nav: HTMLElement;
  conn: HTMLElement;
  connText: HTMLElement;
  userName: HTMLElement;
  logout: HTMLButtonElement;
  viewHost: HTMLElement;
  showStatus(text: string | null, retry?: () => void): void;
}

const CONN_TEXT: Readonly<Record<ConnectionState, MessageKey>> = {
  connecting: 'connConnecting',
  connected: 'connConnected',
  reconnecting: 'connReconnecting',
  disconnected: 'connDisconnected',
};

/** Header links: the route each opens and who is offered it. Links to routes nobody registered are left out. */
const NAV: ReadonlyArray<{ key: string; label: MessageKey; roles: ReadonlyArray<User['role']> }> = [
  { key: 'overview', label: 'navOverview', roles: ['admin', 'supervisor'] },
  { key: 'alerts', label: 'navAlerts', roles: ['admin', 'supervisor', 'operator'] },
  { key: 'sites', label: 'navSites', roles: ['admin', 'supervisor', 'operator'] },
  { key: 'provision', label: 'navProvision', roles: ['admin', 'operator'] },
];

/** The break-glass token has no user record; it acts as an admin over everything. */
const BREAK_GLASS_USER: User = {
  id: 'admin-token',
  displayName: 'admin-token',
  role: 'admin',
  scope: { kind: 'all' },
  createdAt: 0,
  disabledAt: null,
  passwordChangedAt: 0,
};

/**
 * Where a user starts: supervisors and admins on the overview of their
 * jurisdiction, operators on their own sites (their one site's view when they
 * have exactly one and the site view exists).
 */
export function landingHash(user: User, router: Router): string {
  if (user.role === 'operator') {
    const only = user.scope.kind === 'sites' && user.scope.siteIds.length === 1 ? user.scope.siteIds[0] : undefined;
    if (only !== undefined && router.has('sites/:id')) return `#/sites/${encodeURIComponent(only)}`;
    return '#/sites';
  }
  if (!router.has('overview')) return '#/sites';
  if (user.scope.kind === 'region') return `#/overview/${encodeURIComponent(user.scope.regionId)}`;
  return '#/overview';
}

/**
 * One signed-in page: the user, the live socket, the header and the current
 * view. Torn down on logout or when the session ends.
 */
export class Shell {
  readonly api: ApiClient;
  private live: LiveSocket | undefined;
  private user: User | undefined;
  private view: View | undefined;
  private closed = false;
  private rendered = false;
  /** Sites whose live subscription is failing: while any is, the status line says so. */
  private readonly liveProblems = new Set<string>();
  private readonly onHashChange = () => this.render();

  constructor(
    readonly credentials: Credentials,
    private readonly router: Router,
    private readonly ui: ShellElements,
    private readonly onUnauthorized: () => void,
  ) {
    this.api = new ApiClient(credentials, () => {
      if (!this.closed) onUnauthorized();
    });
  }

  async start(): Promise<void> {
    this.ui.showStatus(t('loading'));
    let user: User;
    try {
      user = await this.api.me();
    } catch (error) {
      if (this.closed) return;
      // A break-glass token is a principal without a user record: /auth/me answers 404.
      if (error instanceof ApiError && error.status === 404 && this.credentials.breakGlass) {
        user = BREAK_GLASS_USER;
      } else {
        if (!(error instanceof ApiError && error.unauthorized)) {
          this.ui.showStatus(t('loadFailed', { message: error instanceof Error ? error.message : String(error) }), () => void this.start());
        }
        return;
      }
    }
    if (this.closed) return;
    this.user = user;
    this.ui.showStatus(null);

    this.live = new LiveSocket(this.credentials, {
      state: (state) => this.setConnection(state),
      unauthorized: () => {
        if (!this.closed) this.onUnauthorized();
      },
      // A site room that cannot be joined leaves its view without live updates while the
      // header says "connected": say so; the socket keeps trying and views re-read once through.
      subscribeFailed: (siteId, message, retryInMs) => {
        if (this.closed) return;
        this.liveProblems.add(siteId);
        this.ui.showStatus(t('liveSiteFailed', { message, seconds: Math.round(retryInMs / 1000) }));
      },
      subscribeRecovered: (siteId) => {
        if (this.closed || !this.liveProblems.delete(siteId)) return;
        if (this.liveProblems.size === 0) this.ui.showStatus(null);
      },
    });
    this.ui.conn.hidden = false;
    this.ui.logout.hidden = false;
    this.ui.userName.hidden = false;
    this.live.connect();

    window.addEventListener('hashchange', this.onHashChange);
    if (!this.router.resolve(window.location.hash)) {
      // No route (a fresh login lands here): go to the user's start page without a history entry.
      history.replaceState(history.state, '', landingHash(user, this.router));
    }
    this.render();
  }

  /** Re-creates the header and the current view, e.g. after the language changed. */
  refreshText(): void {
    if (!this.user || this.closed) return;
    this.setConnection(this.live?.state ?? 'disconnected');
    this.render();
  }

  close(): void {
    this.closed = true;
    window.removeEventListener('hashchange', this.onHashChange);
    this.credentials.close();
    this.view?.close();
    this.view = undefined;
    this.live?.close();
    this.ui.viewHost.replaceChildren();
    this.ui.nav.replaceChildren();
    this.ui.nav.hidden = true;
    this.ui.conn.hidden = true;
    this.ui.logout.hidden = true;
    this.ui.userName.hidden = true;
    this.ui.showStatus(null);
  }

  private context(user: User, live: LiveSocket): ViewContext {
    return {
      api: this.api,
      live,
      user,
      navigate: (hash) => {
        if (window.location.hash === hash) this.render();
        else window.location.hash = hash;
      },
    };
  }

  private render(): void {
    const { user, live } = this;
    if (!user || !live || this.closed) return;
    this.view?.close();
    this.view = undefined;
    const resolved = this.router.resolve(window.location.hash);
    this.renderHeader(user, resolved?.route.name);
    let element: HTMLElement;
    if (!resolved) {
      element = this.notFound();
    } else {
      try {
        this.view = resolved.factory(this.context(user, live), { path: resolved.route.path, query: resolved.route.query });
        element = this.view.element;
      } catch (error) {
        element = h('p', 'status error', t('viewFailed', { message: error instanceof Error ? error.message : String(error) }));
      }
    }
    this.ui.viewHost.replaceChildren(element);
    // Keyboard and screen-reader users start at the new view, not at the link they left (but a fresh page keeps its focus).
    if (this.rendered) this.ui.viewHost.focus({ preventScroll: true });
    this.rendered = true;
    window.scrollTo(0, 0);
  }

  private renderHeader(user: User, current: string | undefined): void {
    const links = NAV.filter((item) => item.roles.includes(user.role) && this.router.has(item.key)).map((item) => {
      const link = h('a', 'nav-link', t(item.label));
      link.href = item.key === 'overview' ? landingHash(user, this.router) : `#/${item.key}`;
      link.dataset.nav = item.key;
      if (item.key === current) link.setAttribute('aria-current', 'page');
      return link;
    });
    this.ui.nav.replaceChildren(...links);
    this.ui.nav.setAttribute('aria-label', t('navLabel'));
    this.ui.nav.hidden = links.length === 0;
    setText(this.ui.userName, t('signedInAs', { name: user.displayName, role: t(`role_${user.role}`) }));
    this.ui.userName.dataset.role = user.role;
  }

  private notFound(): HTMLElement {
    const box = h('section', 'view not-found');
    box.dataset.view = 'not-found';
    const home = h('a', '', t('backHome'));
    home.href = this.user ? landingHash(this.user, this.router) : '#/';
    box.append(h('p', '', t('notFound')), home);
    return box;
  }

  private setConnection(state: ConnectionState): void {
    this.ui.conn.dataset.connectionState = state;
    setText(this.ui.connText, t(CONN_TEXT[state]));
  }
}
