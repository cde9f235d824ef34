import './style.css';
import { Credentials, login, LoginError } from './auth.js';
import { setText } from './dom.js';
import { LOCALE_NAMES, LOCALES, saveLocale, savedLocale, setLocale, t, type Locale, type MessageKey } from './i18n.js';
import { Shell } from './shell.js';
import { clearTokens, loadTokens, takeTokenFromFragment, type Tokens } from './token.js';
import { createRouter } from './views/routes.js';

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html lacks #${id}`);
  return el as T;
}

const ui = {
  nav: byId('nav'),
  conn: byId('conn'),
  connText: byId('conn-text'),
  userName: byId('user-name'),
  logout: byId<HTMLButtonElement>('logout'),
  langSelect: byId<HTMLSelectElement>('lang-select'),
  tokenView: byId('token-view'),
  tokenForm: byId<HTMLFormElement>('token-form'),
  userInput: byId<HTMLInputElement>('user-input'),
  tokenInput: byId<HTMLInputElement>('token-input'),
  tokenError: byId('token-error'),
  status: byId('status'),
  statusText: byId('status-text'),
  statusRetry: byId<HTMLButtonElement>('status-retry'),
  viewHost: byId('view'),
};

const router = createRouter();

function showStatus(text: string | null, retry?: () => void): void {
  ui.status.hidden = text === null;
  setText(ui.statusText, text ?? '');
  ui.statusRetry.hidden = !retry;
  ui.statusRetry.onclick = retry ?? null;
}

function applyStaticText(): void {
  document.title = t('title');
  setText(byId('page-title'), t('title'));
  setText(byId('skip-link'), t('skipToContent'));
  setText(byId('docs-link'), t('docsLink'));
  setText(byId('conn-label'), `${t('connLabel')}: `);
  setText(byId('lang-label'), t('languageLabel'));
  setText(ui.logout, t('changeToken'));
  setText(byId('token-heading'), t('tokenHeading'));
  setText(byId('user-label'), t('userLabel'));
  setText(byId('token-label'), t('tokenLabel'));
  setText(byId('token-submit'), t('tokenSubmit'));
  setText(byId('token-hint'), t('tokenHint'));
  setText(ui.statusRetry, t('retry'));
}

let shell: Shell | undefined;

function showLoginForm(message?: MessageKey): void {
  shell?.close();
  shell = undefined;
  ui.tokenView.hidden = false;
  ui.tokenError.hidden = !message;
  setText(ui.tokenError, message ? t(message) : '');
  ui.tokenInput.setAttribute('aria-invalid', String(Boolean(message)));
  ui.tokenInput.value = '';
  (ui.userInput.value ? ui.tokenInput : ui.userInput).focus();
}

function open(tokens: Tokens): void {
  ui.tokenView.hidden = true;
  shell?.close();
  const current = new Shell(
    new Credentials(tokens),
    router,
    { nav: ui.nav, conn: ui.conn, connText: ui.connText, userName: ui.userName, logout: ui.logout, viewHost: ui.viewHost, showStatus },
    () => {
      if (shell !== current) return;
      clearTokens();
      showLoginForm('tokenRejected');
    },
  );
  shell = current;
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

// The skip link moves focus without touching the hash, which is the router's.
byId('skip-link').addEventListener('click', (event) => {
  event.preventDefault();
  ui.viewHost.focus();
});

ui.logout.addEventListener('click', () => {
  void shell?.credentials.logout();
  clearTokens();
  // The next user starts on their own landing page, not on this one's last view.
  history.replaceState(history.state, '', window.location.pathname + window.location.search);
  showLoginForm();
});

// A new `#token=…` link opened in this same tab replaces the current token.
window.addEventListener('hashchange', () => {
  const token = takeTokenFromFragment();
  if (token) open(token);
});

for (const locale of LOCALES) {
  const option = document.createElement('option');
  option.value = locale;
  option.textContent = LOCALE_NAMES[locale];
  ui.langSelect.append(option);
}
ui.langSelect.addEventListener('change', () => {
  const locale = LOCALES.find((l) => l === ui.langSelect.value) ?? 'zh-CN';
  setLocale(locale);
  saveLocale(locale);
  applyStaticText();
  shell?.refreshText();
});

const locale: Locale = savedLocale();
setLocale(locale);
ui.langSelect.value = locale;
applyStaticText();
const initial = takeTokenFromFragment() ?? loadTokens();
if (initial) open(initial);
else showLoginForm();
