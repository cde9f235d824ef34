import type { ViewFactory } from './views/view.js';

/**
 * Hash routes: `#/<name>[/<segment>…][?query]`. The server serves one page for
 * all of them, and the browser's back and forward buttons work without a server round trip.
 *
 * A route is registered under its name (`overview`) or, for routes that need
 * an id, under `<name>/:id` (`sites/:id`), so `#/sites` and `#/sites/site-1`
 * can be two different views.
 */
export interface ParsedRoute {
  /** The registered key that matched: `overview`, `sites/:id`, … */
  readonly key: string;
  /** The first path segment. */
  readonly name: string;
  /** The segments after the name, decoded. */
  readonly path: readonly string[];
  readonly query: URLSearchParams;
}

export function parseHash(hash: string): { name: string; path: string[]; query: URLSearchParams } {
  const raw = hash.replace(/^#\/?/, '');
  const mark = raw.indexOf('?');
  const pathPart = mark === -1 ? raw : raw.slice(0, mark);
  const query = new URLSearchParams(mark === -1 ? '' : raw.slice(mark + 1));
  const segments = pathPart
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        // A malformed escape: keep the raw text; the view reports "not found".
        return s;
      }
    });
  const [name = '', ...path] = segments;
  return { name, path, query };
}

/** `#/sites/a%2Fb?x=1` from a name, path segments and query. */
export function buildHash(name: string, path: readonly string[] = [], query?: URLSearchParams | Record<string, string>): string {
  const segments = [name, ...path].map(encodeURIComponent).join('/');
  const params = query instanceof URLSearchParams ? query : new URLSearchParams(query ?? {});
  const text = params.toString();
  return `#/${segments}${text ? `?${text}` : ''}`;
}

export class Router {
  private readonly routes = new Map<string, ViewFactory>();

  /** Registers a view under `name` or `name/:id`. */
  add(key: string, factory: ViewFactory): this {
    this.routes.set(key, factory);
    return this;
  }

  has(key: string): boolean {
    return this.routes.has(key);
  }

  /** The view for a hash, or undefined when no route matches (the shell shows "not found"). */
  resolve(hash: string): { route: ParsedRoute; factory: ViewFactory } | undefined {
    const { name, path, query } = parseHash(hash);
    const key = path.length > 0 ? `${name}/:id` : name;
    const factory = this.routes.get(key);
    return factory ? { route: { key, name, path, query }, factory } : undefined;
  }
}
