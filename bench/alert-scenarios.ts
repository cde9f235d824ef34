import { NodeChild } from './children.js';
import { cpuPercent, eventLoopUtilization, type DashboardMessage, type DashboardRequest, type DashboardResult } from './protocol.js';
import { finish, runLoad, script, SETUP_TIMEOUT_MS, startLoad, startServerChild, type Line, type LoadChild, type LoadSpec, type Placement } from './scenarios.js';

/** A paced load in which some readings go out of band, watched by socket.io dashboards. */
export interface AlertLoadSpec extends LoadSpec {
  ratePerSec: number;
  alertsPerSec: number;
  /** socket.io clients, spread over `supervisors` logged-in users. */
  clients: number;
  /** socket.io-client instances among them; the rest are wire clients (see dashboard-process.ts). */
  fullClients: number;
  supervisors: number;
  /** Readings in the file before the server starts (see ServerSpec.storedBefore). */
  storedBefore?: number;
}

type DashboardChild = NodeChild<DashboardRequest, DashboardMessage>;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Every `alertEvery`-th reading is out of band. Coprime with the device count, so
 * consecutive alerts come from different devices: a device that raised and
 * cleared four times within an hour would be held open as flapping, and its next
 * excursion would update that alert instead of raising a new one.
 */
export function alertEvery(ratePerSec: number, alertsPerSec: number, devices: number): number {
  let every = Math.max(1, Math.round(ratePerSec / alertsPerSec));
  while (devices > 1 && gcd(every, devices) !== 1) every++;
  return every;
}

/**
 * The server with immediate chilled alarms on every site, the load generator, and
 * a dashboard process with `clients` sockets. Measures publish → PUBACK (load)
 * and publish → alert:raised on every client (dashboards), and counts alerts a
 * client should have received but did not.
 */
export async function benchAlerts(name: string, spec: AlertLoadSpec, dataDir: string, placement: Placement, profileDir?: string): Promise<{ line: Line; failures: string[] }> {
  const { server, ready } = await startServerChild(
    name,
    { dataDir, devices: spec.devices, synchronous: 'full', immediateAlarms: true, supervisors: spec.supervisors, storedBefore: spec.storedBefore ?? 0 },
    placement,
    profileDir,
  );
  let load: LoadChild | undefined;
  let dashboards: DashboardChild | undefined;
  try {
    // Dashboards are clients, like devices: they share the load generator's core.
    dashboards = new NodeChild<DashboardRequest, DashboardMessage>(
      'dashboards',
      script('dashboard-process.js'),
      [JSON.stringify({ httpUrl: ready.httpUrl, users: ready.users, clients: spec.clients, fullClients: spec.fullClients })],
      placement.loadCore,
      // With --profile the dashboards are profiled too: they share a core with the load generator and can be the limit.
      ['--no-warnings', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=dashboards-${name}.cpuprofile`] : [])],
      true,
    );
    const { ms: dashboardConnectMs } = await dashboards.next('ready', SETUP_TIMEOUT_MS);
    load = startLoad(placement);
    const every = alertEvery(spec.ratePerSec, spec.alertsPerSec, spec.devices);
    const run = await runLoad(name, server, load, spec, ready, { alertEvery: every });
    // Alerts raised at the end of the window are still on their way; PUBACKs have drained by now.
    await new Promise((r) => setTimeout(r, 1_000));
    dashboards.send({ type: 'collect', fromEpochMs: run.result.windowStartEpochMs, toEpochMs: run.result.windowEndEpochMs });
    const { result: dash } = await dashboards.next('result', 60_000);
    await dashboards.close({ type: 'close' }, 5_000);
    const done = await finish(name, server, load, run, ready, 'full');

    const { failures } = done;
    if (dash.disconnects > 0) failures.push(`${name}: ${dash.disconnects} dashboard sockets disconnected`);
    const line: Line = {
      ...done.line,
      alertEvery: every,
      alertsPerSec: Math.round((run.result.windowAlerts / run.result.windowMs) * 1000 * 10) / 10,
      ...alertFields(dash, run.result.windowAlerts),
      dashboardConnectMs,
    };
    return { line, failures };
  } finally {
    dashboards?.kill();
    load?.kill();
    server.kill();
  }
}

function alertFields(dash: DashboardResult, windowAlerts: number): Line {
  const { p50Ms, p95Ms, p99Ms, maxMs, meanMs } = dash.latency;
  return {
    clients: dash.clients,
    socketIoClients: dash.fullClients,
    alertsInWindow: windowAlerts,
    alertDeliveries: dash.received,
    // Each client should get every alert raised in the window once.
    missingDeliveries: Math.max(0, windowAlerts * dash.clients - dash.received),
    perClientMin: dash.perClientMin,
    perClientMax: dash.perClientMax,
    alertP50Ms: p50Ms,
    alertP95Ms: p95Ms,
    alertP99Ms: p99Ms,
    alertMaxMs: maxMs,
    alertMeanMs: meanMs,
    dashboardCpuPct: cpuPercent(dash.start, dash.end),
    dashboardEventLoop: eventLoopUtilization(dash.start, dash.end),
  };
}
