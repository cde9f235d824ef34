import { ApiError } from '../api.js';
import { h, setText } from '../dom.js';
import { t } from '../i18n.js';

/**
 * Small pieces every view needs: a status line with `data-state` on the view
 * (`loading`, `ready`, `error`: tests wait on it), and re-rendering without
 * losing the keyboard focus.
 */
export interface LoadingState {
  ready(): void;
  failed(message: string, retry: () => void): void;
}

/** Puts a status line at the top of `view` and keeps `view.dataset.state` in step. */
export function loadingState(view: HTMLElement): LoadingState {
  const status = h('p', 'status');
  status.setAttribute('role', 'status');
  const text = h('span', '', t('loading'));
  status.append(text);
  view.prepend(status);
  view.dataset.state = 'loading';
  return {
    ready() {
      view.dataset.state = 'ready';
      status.hidden = true;
    },
    failed(message, retry) {
      view.dataset.state = 'error';
      status.hidden = false;
      status.classList.add('error');
      setText(text, t('loadFailed', { message }));
      const button = h('button', '', t('retry'));
      button.type = 'button';
      button.addEventListener('click', () => {
        button.remove();
        retry();
      });
      status.querySelector('button')?.remove();
      status.append(button);
    },
  };
}

/** Shows a failed request; a refused session is the shell's business (it returns to the login form). */
export function showFailure(state: LoadingState, error: unknown, retry: () => void): void {
  if (error instanceof ApiError && error.unauthorized) return;
  state.failed(error instanceof Error ? error.message : String(error), retry);
}

/**
 * Runs `render`, which replaces elements inside `container`, and puts the focus
 * back on the element with the same `data-focus-key`, so a periodic refresh
 * does not throw a keyboard user back to the top of the page.
 */
export function keepFocus(container: HTMLElement, render: () => void): void {
  const active = document.activeElement;
  const key = active instanceof HTMLElement && container.contains(active) ? active.dataset.focusKey : undefined;
  // A text field keeps where the caret was, so typing carries on where it stopped.
  const caret = isTextField(active) ? { start: active.selectionStart, end: active.selectionEnd } : undefined;
  render();
  if (key === undefined) return;
  const again = container.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(key)}"]`);
  if (!again || again === active) return;
  again.focus({ preventScroll: true });
  if (caret && isTextField(again) && caret.start !== null && caret.end !== null) again.setSelectionRange(caret.start, caret.end);
}

function isTextField(el: Element | null): el is HTMLTextAreaElement | HTMLInputElement {
  return el instanceof HTMLTextAreaElement || (el instanceof HTMLInputElement && el.type === 'text');
}

/**
 * Wraps a view's re-read so that reads never overlap: a call while one is running
 * is not folded into it (that read may have started before the change it was called
 * for) but runs once more after it. `read` handles its own failures.
 */
export function rereader(read: () => Promise<void>, closed: () => boolean): () => Promise<void> {
  let inFlight = false;
  let again = false;
  const run = async (): Promise<void> => {
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    try {
      await read();
    } finally {
      inFlight = false;
      if (again && !closed()) {
        again = false;
        void run();
      }
    }
  };
  return run;
}
