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

/**
 * The same scope test for a table that carries only a site id column (alerts):
 * a subquery over sites and regions, with positional parameters.
 */
export function siteScopeSql(scope: SiteScope, siteColumn: string): { sql: string; params: (string | number)[] } {
  switch (scope.kind) {
    case 'all':
      return { sql: '1', params: [] };
    case 'sites':
      if (scope.siteIds.length === 0) return { sql: '0', params: [] };
      return { sql: `${siteColumn} IN (${scope.siteIds.map(() => '?').join(', ')})`, params: [...scope.siteIds] };
    case 'region':
      return regionSql(scope.regionPath, siteColumn);
  }
}

/** Rows whose site lies in the region with this path, or below it (positional parameters). */
export function regionSql(regionPath: string, siteColumn: string): { sql: string; params: string[] } {
  return {
    sql: `${siteColumn} IN (SELECT s.id FROM sites s JOIN regions r ON r.id = s.region_id WHERE substr(r.path, 1, length(?)) = ?)`,
    params: [regionPath, regionPath],
  };
}
