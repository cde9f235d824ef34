import { ApiError } from '../api.js';
import { h } from '../dom.js';
import { loadingState, showFailure } from './view-kit.js';

/**
 * The frame of a detail view (site, device, provisioning): the root `section`
 * with `data-view` and its id hook, a title, and the shared status line
 * (`view-kit.ts`: `data-state="loading|ready|error"`, retry on failure).
 */
export interface ViewFrame {
  element: HTMLElement;
  heading: HTMLHeadingElement;
  ready(): void;
  /** Shows a failure with a retry; a 404 (missing, or outside the caller's scope) says `notFound`. */
  fail(error: unknown, notFound: string, retry: () => void): void;
}

export function viewFrame(view: string, hook: { name: 'siteId' | 'deviceId'; value: string } | null): ViewFrame {
  const element = h('section', `view view-${view}`);
  element.dataset.view = view;
  if (hook) element.dataset[hook.name] = hook.value;
  const heading = h('h2', 'view-title', hook?.value ?? '');
  element.append(heading);
  const state = loadingState(element);
  // The title first, then the status line under it.
  element.prepend(heading);
  return {
    element,
    heading,
    ready: () => state.ready(),
    fail(error, notFound, retry) {
      if (error instanceof ApiError && error.status === 404) state.failed(notFound, retry);
      else showFailure(state, error, retry);
    },
  };
}
