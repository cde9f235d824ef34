import type { OverviewKpis, Region, Severity, Site, SiteId } from '../../contracts/index.js';
import type { SiteFigures } from '../../store/index.js';

/** Most severe first: the colour of a site or region is its worst open alert. */
const SEVERITY_RANK: Readonly<Record<Severity, number>> = { critical: 3, warning: 2, info: 1 };

export function worstSeverity(open: SiteFigures['open']): Severity | null {
  if (open.critical > 0) return 'critical';
  if (open.warning > 0) return 'warning';
  if (open.info > 0) return 'info';
  return null;
}

export function severityRank(severity: Severity | null): number {
  return severity ? SEVERITY_RANK[severity] : 0;
}

/** The lower median of a list of durations; null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

const rate = (part: number, whole: number) => (whole > 0 ? part / whole : null);

/** Adds sites' counts up into one set of KPIs; the median is taken over the sites' acknowledge delays together. */
export function kpisOf(figures: readonly SiteFigures[], ackDelays: readonly number[]): OverviewKpis {
  const sum = (pick: (f: SiteFigures) => number) => figures.reduce((total, f) => total + pick(f), 0);
  const open = { info: sum((f) => f.open.info), warning: sum((f) => f.open.warning), critical: sum((f) => f.open.critical) };
  const devices = sum((f) => f.devices);
  const devicesOnline = sum((f) => f.devicesOnline);
  const cameras = sum((f) => f.cameras);
  const camerasOnline = sum((f) => f.camerasOnline);
  return {
    sites: figures.length,
    devices: { total: devices, online: devicesOnline, rate: rate(devicesOnline, devices) },
    cameras: { total: cameras, online: camerasOnline, rate: rate(camerasOnline, cameras) },
    openAlerts: { ...open, total: open.info + open.warning + open.critical },
    unacknowledged: sum((f) => f.unacknowledged),
    raisedToday: sum((f) => f.raisedToday),
    rectifiedToday: sum((f) => f.rectifiedToday),
    rectificationRate: rate(sum((f) => f.periodRectified), sum((f) => f.periodRaised)),
    medianAckMs: median(ackDelays),
  };
}

/**
 * Groups sites under the regions directly below `parentPath` (a district's
 * townships, a city's districts; the top cities for `null`). A site directly in
 * the parent region itself belongs to no child and counts only in the totals.
 */
export function groupByChild(
  children: readonly Region[],
  sites: ReadonlyMap<SiteId, Site>,
  regionPaths: ReadonlyMap<string, string>,
  figures: readonly SiteFigures[],
  ackDelays: ReadonlyArray<{ siteId: SiteId; ms: number }>,
): Array<{ region: Region; figures: SiteFigures[]; ackDelays: number[] }> {
  const groups = children.map((region) => ({ region, figures: [] as SiteFigures[], ackDelays: [] as number[] }));
  const childOf = (siteId: SiteId) => {
    const site = sites.get(siteId);
    const path = site ? regionPaths.get(site.regionId) : undefined;
    return path === undefined ? undefined : groups.find((g) => path.startsWith(g.region.path));
  };
  for (const f of figures) childOf(f.siteId)?.figures.push(f);
  for (const d of ackDelays) childOf(d.siteId)?.ackDelays.push(d.ms);
  return groups;
}
