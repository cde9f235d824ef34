import type { SiteScope } from '../index.js';

/**
 * The SQL condition that keeps rows inside a caller's scope, given the aliases of
 * the joined `sites` and `regions` tables. Parameters are named (`@<name>_*`), so
 * they can be merged with a query's own, and one query can apply two conditions
 * (the caller's scope and a region filter) under different names. The region test
 * is a prefix match on the materialised path, not LIKE, where `_` in an id would
 * be a wildcard.
 */
export function scopeCondition(scope: SiteScope | undefined, site = 's', region = 'r', name = 'scope'): { sql: string; params: Record<string, string> } {
  if (!scope || scope.kind === 'all') return { sql: '1', params: {} };
  if (scope.kind === 'region') {
    return { sql: `substr(${region}.path, 1, length(@${name}_path)) = @${name}_path`, params: { [`${name}_path`]: scope.regionPath } };
  }
  if (scope.siteIds.length === 0) return { sql: '0', params: {} };
  const params: Record<string, string> = {};
  scope.siteIds.forEach((id, i) => (params[`${name}_site_${i}`] = id));
  return { sql: `${site}.id IN (${Object.keys(params).map((k) => `@${k}`).join(', ')})`, params };
}
