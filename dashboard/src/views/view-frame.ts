import { ApiError } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';

/**
 * The frame of a detail view: the root `section` with `data-view`, its id hook and
 * `data-state="loading|ready|error"`, a title, and a status line for loading and failures.
 */
export interface ViewFrame {
  element: HTMLElement;
  heading: HTMLHeadingElement;
  status: HTMLParagraphElement;
  ready(): void;
  /** Shows a failure; a 404 (missing or outside the scope) gets `notFound`. A refused token is the shell's business. */
  fail(error: unknown, notFound: string): void;
}

export function viewFrame(view: string, hook: { name: 'siteId' | 'deviceId'; value: string } | null): ViewFrame {
  const element = h('section', `view view-${view}`);
  element.dataset.view = view;
  if (hook) element.dataset[hook.name] = hook.value;
  element.dataset.state = 'loading';
  const heading = h('h2', 'view-title', hook?.value ?? '');
  const status = h('p', 'status', t('loading'));
  status.setAttribute('role', 'status');
  return {
    element,
    heading,
    status,
    ready() {
      status.hidden = true;
      element.dataset.state = 'ready';
    },
    fail(error, notFound) {
      if (error instanceof ApiError && error.unauthorized) return;
      status.hidden = false;
      status.classList.add('error');
      status.textContent = error instanceof ApiError && error.status === 404 ? notFound : t('loadFailed', { message: error instanceof Error ? error.message : String(error) });
      element.dataset.state = 'error';
    },
  };
}
