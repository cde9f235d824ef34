import type { ApiClient } from '../api.js';
import type { AlertChange, ServerToClientEvents } from '../../../contracts/events.js';
import type { Alert } from '../../../contracts/alerts.js';
import type { User } from '../../../contracts/accounts.js';

/**
 * The seam between the application shell (login, header, router, live socket)
 * and the views. A view is built for one route, owns one element, subscribes to
 * what it needs through the context, and releases everything in `close()`.
 *
 * Routes are hash routes, so the server serves one page for all of them:
 *   #/overview[/<regionId>]   jurisdiction overview with drill-down
 *   #/alerts[?filters]        live alert feed
 *   #/sites/<siteId>          site view
 *   #/devices/<deviceId>      device view
 *   #/provision               operator device provisioning
 * The public transparency page is a separate entry (`public.html`, no login).
 */

/** What views listen to: the server's events, with each `alerts` batch unpacked into one call per change, in order. */
export type LiveEvents = Omit<ServerToClientEvents, 'alerts'> & { [E in AlertChange['event']]: (alert: Alert) => void };
export type LiveEvent = keyof LiveEvents;

/** The shared live socket; one per signed-in page. */
export interface LiveHub {
  /** Listens to a server event; returns the function that stops listening. */
  on<E extends LiveEvent>(event: E, handler: LiveEvents[E]): () => void;
  /**
   * Asks for a site's readings, presence and findings (`site:subscribe`), counted
   * per caller: the room is left when the last watcher stops. Returns the stop function.
   */
  watchSite(siteId: string): () => void;
  /**
   * Called after every (re)connection once subscriptions are answered, so a view
   * can re-read over REST what it may have missed. Returns the stop function.
   */
  onResync(handler: () => void): () => void;
}

export interface ViewContext {
  readonly api: ApiClient;
  readonly live: LiveHub;
  /** The signed-in user: role and scope decide what the shell offers. */
  readonly user: User;
  /** Goes to another route, e.g. `navigate('#/sites/site-1')`. */
  navigate(hash: string): void;
}

export interface View {
  /** The view's root element; the shell puts it in the main area. */
  readonly element: HTMLElement;
  /** Stops timers and live listeners; the shell calls it before the next view. */
  close(): void;
}

/** Builds a view for the route's parameters (path segments and query). */
export type ViewFactory = (ctx: ViewContext, params: { path: readonly string[]; query: URLSearchParams }) => View;
