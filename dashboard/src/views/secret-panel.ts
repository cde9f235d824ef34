import { h } from '../dom.js';
import { pt } from './provision.i18n.js';

/**
 * Shows a device secret once, with a copy button and a clear warning. The
 * secret lives only in this panel's DOM: closing the panel (or leaving the
 * view) removes it, and nothing keeps a copy — the server has only its hash.
 * DOM hooks: `#secret-panel[data-device-id]`, `#secret-value`, `[data-action="copy-secret"]`,
 * `[data-action="secret-done"]`, `[data-field="copy-status"]`.
 */
export function secretPanel(deviceId: string, secret: string, onClose: () => void): HTMLElement {
  const panel = h('section', 'secret-panel');
  panel.id = 'secret-panel';
  panel.dataset.deviceId = deviceId;
  panel.setAttribute('role', 'alert');
  panel.setAttribute('aria-labelledby', 'secret-heading');
  const heading = h('h3', 'section-title', pt('secretHeading', { id: deviceId }));
  heading.id = 'secret-heading';
  const warning = h('p', 'secret-warning', pt('secretWarning'));
  const value = h('code', 'secret-value', secret);
  value.id = 'secret-value';
  const connect = h('p', 'card-note', pt('secretConnect', { id: deviceId }));
  const copy = h('button', 'btn btn-primary', pt('copy'));
  copy.type = 'button';
  copy.dataset.action = 'copy-secret';
  const copied = h('span', 'card-note');
  copied.dataset.field = 'copy-status';
  copied.setAttribute('aria-live', 'polite');
  const done = h('button', 'btn', pt('secretDone'));
  done.type = 'button';
  done.dataset.action = 'secret-done';
  const actions = h('div', 'secret-actions');
  actions.append(copy, done, copied);
  panel.append(heading, warning, value, connect, actions);

  /** Selects the secret for a manual copy, and says so. */
  const selectForManualCopy = () => {
    copied.textContent = pt('copyFailed');
    const range = document.createRange();
    range.selectNodeContents(value);
    const selection = window.getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
  };
  copy.addEventListener('click', () => {
    // navigator.clipboard exists only in secure contexts: on plain HTTP at a LAN address it is
    // undefined, not a rejecting promise. Missing, throwing or refused: the manual copy.
    const clipboard = window.isSecureContext ? (navigator.clipboard as Clipboard | undefined) : undefined;
    if (!clipboard) {
      selectForManualCopy();
      return;
    }
    let writing: Promise<void>;
    try {
      writing = clipboard.writeText(secret);
    } catch {
      selectForManualCopy();
      return;
    }
    writing.then(() => {
      copied.textContent = pt('copied');
    }, selectForManualCopy);
  });
  done.addEventListener('click', () => {
    panel.remove();
    onClose();
  });
  return panel;
}
