import type { SiteScope } from '../index.js';

/**
 * The SQL condition that keeps rows inside a caller's scope, given the aliases of
 * the joined `sites` and `regions` tables. Parameters are named (`@scope_*`), so
 * they can be merged with a query's own. The region test is a prefix match on the
 * materialised path, not LIKE, where `_` in an id would be a wildcard.
 */
export function scopeCondition(scope: SiteScope | undefined, site = 's', region = 'r'): { sql: string; params: Record<string, string> } {
  if (!scope || scope.kind === 'all') return { sql: '1', params: {} };
  if (scope.kind === 'region') {
    return { sql: `substr(${region}.path, 1, length(@scope_path)) = @scope_path`, params: { scope_path: scope.regionPath } };
  }
  if (scope.siteIds.length === 0) return { sql: '0', params: {} };
  const params: Record<string, string> = {};
  scope.siteIds.forEach((id, i) => (params[`scope_site_${i}`] = id));
  return { sql: `${site}.id IN (${Object.keys(params).map((k) => `@${k}`).join(', ')})`, params };
}
