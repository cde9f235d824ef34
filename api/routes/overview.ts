import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  errorResponseSchema,
  OVERVIEW_DEFAULT_TIMEZONE,
  OVERVIEW_MAX_SITES,
  overviewQuerySchema,
  overviewSchema,
  type Overview,
  type Region,
} from '../../contracts/index.js';
import { groupByChild, kpisOf, severityRank, worstSeverity } from '../overview/aggregate.js';
import { calendarDay } from '../overview/calendar-day.js';
import { notFound } from '../errors.js';
import type { Access } from '../scope.js';
import { rolesDoc, type RouteContext } from './context.js';

const DAY_MS = 86_400_000;
const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 404: errorResponseSchema };

/**
 * Regions the caller's scope covers entirely, so figures shown for them are the
 * whole region's: every region for admins, the supervisor's region and those below.
 * Operators see their sites' figures without a region (ancestor regions would be
 * labelled with only their own sites' counts).
 */
async function coveredRegions(access: Access, visible: readonly Region[]): Promise<Region[]> {
  const scope = await access.siteScope();
  if (scope.kind === 'all') return [...visible];
  if (scope.kind === 'region') return visible.filter((r) => r.path.startsWith(scope.regionPath));
  return [];
}

/** The jurisdiction overview: KPIs for a region, its child regions and its sites. */
export const overviewRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { store, clock }) => {
  app.get(
    '/overview',
    {
      schema: {
        tags: ['overview'],
        summary: "KPIs of a region (default: the top of your scope), each region directly below it, and its sites, worst open alert first",
        description: rolesDoc(
          ['admin', 'supervisor', 'operator'],
          `A region outside your scope answers 404 (a supervisor may not open the city above their district; operators get their sites without a region). "Today" is the calendar day in \`timezone\` (default ${OVERVIEW_DEFAULT_TIMEZONE}); the rectification rate and median time to acknowledge cover alerts created in the last \`days\` calendar days, today included. At most ${OVERVIEW_MAX_SITES} sites are listed.`,
        ),
        querystring: overviewQuerySchema,
        response: { 200: overviewSchema, ...errors },
      },
    },
    async (request): Promise<Overview> => {
      const { access } = request;
      const timezone = request.query.timezone ?? OVERVIEW_DEFAULT_TIMEZONE;
      const { days } = request.query;
      const visible = await access.regions();
      const covered = await coveredRegions(access, visible);
      const coveredIds = new Set(covered.map((r) => r.id));

      let region: Region | null = null;
      if (request.query.regionId !== undefined) {
        region = covered.find((r) => r.id === request.query.regionId) ?? null;
        if (!region) throw notFound('region');
      } else if (access.principal.scope.kind === 'region') {
        // A supervisor starts at their own region (a region that no longer exists leaves them with nothing).
        const own = access.principal.scope.regionId;
        region = covered.find((r) => r.id === own) ?? null;
      }

      const now = clock();
      const day = calendarDay(now, timezone);
      const periodStart = calendarDay(day.start - (days - 1) * DAY_MS + DAY_MS / 2, timezone).start;
      const scope = await access.siteScope();
      const query = {
        scope,
        ...(region ? { regionPath: region.path } : {}),
        dayStart: day.start,
        dayEnd: day.end,
        periodStart,
        periodEnd: day.end,
      };
      const [figures, delays, siteList] = await Promise.all([
        store.overview.siteFigures(query),
        store.overview.ackDelays(query),
        store.registry.listSites({ scope }),
      ]);
      const sites = new Map(siteList.map((s) => [s.id, s]));
      const regionPaths = new Map(visible.map((r) => [r.id, r.path]));

      const children =
        region === null && scope.kind !== 'all' ? [] : covered.filter((r) => r.parentId === (region?.id ?? null));
      const delaysBySite = new Map<string, number[]>();
      for (const d of delays) {
        const list = delaysBySite.get(d.siteId);
        if (list) list.push(d.ms);
        else delaysBySite.set(d.siteId, [d.ms]);
      }
      const siteRows = figures
        .filter((f) => sites.has(f.siteId))
        .map((f) => ({ site: sites.get(f.siteId)!, worstSeverity: worstSeverity(f.open), kpis: kpisOf([f], delaysBySite.get(f.siteId) ?? []) }))
        .sort(
          (a, b) =>
            severityRank(b.worstSeverity) - severityRank(a.worstSeverity) ||
            b.kpis.openAlerts.total - a.kpis.openAlerts.total ||
            a.site.name.localeCompare(b.site.name, 'zh-CN'),
        );

      return {
        region,
        ancestors: region
          ? visible
              .filter((r) => r.id !== region.id && region.path.startsWith(r.path))
              .sort((a, b) => a.path.length - b.path.length)
              .map((r) => ({ ...r, openable: coveredIds.has(r.id) }))
          : [],
        day: { timezone, start: day.start, end: day.end },
        period: { days, start: periodStart, end: day.end },
        totals: kpisOf(figures, delays.map((d) => d.ms)),
        children: groupByChild(children, sites, regionPaths, figures, delays).map((g) => {
          const kpis = kpisOf(g.figures, g.ackDelays);
          return { region: g.region, worstSeverity: worstSeverity(kpis.openAlerts), kpis };
        }),
        sites: siteRows.slice(0, OVERVIEW_MAX_SITES),
        sitesTotal: siteRows.length,
      };
    },
  );
};
