import type { SiteScope } from '../index.js';

/**
 * A WHERE fragment that keeps rows whose site column is inside a caller's
 * scope. Regions match by materialised-path prefix with `substr` (not LIKE, where
 * `_` in an id would be a wildcard), so a site moved between townships is judged
 * by where it is now.
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

/** Rows whose site lies in the region with this path, or below it. */
export function regionSql(regionPath: string, siteColumn: string): { sql: string; params: string[] } {
  return {
    sql: `${siteColumn} IN (SELECT s.id FROM sites s JOIN regions r ON r.id = s.region_id WHERE substr(r.path, 1, length(?)) = ?)`,
    params: [regionPath, regionPath],
  };
}
