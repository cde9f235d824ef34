import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ForwarderStatus } from '../store/influx/index.js';

export interface BacklogMonitorOptions {
  status: () => ForwarderStatus;
  metrics: Metrics;
  logger: Logger;
  clock: () => number;
  /** Alarm at this many waiting rows; the alarm clears below half of it (hysteresis). */
  alertRows: number;
  checkEveryMs?: number;
}

/**
 * Watches the InfluxDB outbox: backlog gauges for Prometheus, and an admin alarm
 * when the backlog passes the threshold — an error log, `sk_influx_outbox_alarm`
 * = 1 and a warning on `/ready`. Not an alert of the alert engine: those belong
 * to a device and a site and go to the site's supervisors, while a stuck outbox
 * is the operator's problem and is caught by the same Prometheus that scrapes
 * this process. `/ready` stays 200: every reading is safe in the outbox.
 */
export class BacklogMonitor {
  private readonly timer: NodeJS.Timeout;
  private alarmed = false;

  constructor(private readonly options: BacklogMonitorOptions) {
    this.timer = setInterval(() => this.check(), options.checkEveryMs ?? 5_000);
    this.timer.unref();
    this.check();
  }

  /** Warnings for `/ready` (empty when all is well). */
  warnings(): string[] {
    this.check();
    if (!this.alarmed) return [];
    const s = this.options.status();
    return [`InfluxDB outbox backlog: ${s.backlog} readings waiting${s.lastError ? ` (${s.lastError})` : ''}`];
  }

  check(): void {
    const { metrics, logger, alertRows } = this.options;
    const s = this.options.status();
    metrics.outboxBacklogRows.set(s.backlog);
    metrics.outboxOldestSeconds.set(s.oldestEnqueuedAt === undefined ? 0 : Math.max(0, (this.options.clock() - s.oldestEnqueuedAt) / 1000));
    if (!this.alarmed && s.backlog >= alertRows) {
      this.alarmed = true;
      logger.error({ backlog: s.backlog, threshold: alertRows, lastError: s.lastError }, 'InfluxDB outbox backlog above threshold: readings are safe in SQLite but not reaching InfluxDB');
    } else if (this.alarmed && s.backlog < alertRows / 2) {
      this.alarmed = false;
      logger.warn({ backlog: s.backlog }, 'InfluxDB outbox backlog back to normal');
    }
    metrics.outboxBacklogAlarm.set(this.alarmed ? 1 : 0);
  }

  close(): void {
    clearInterval(this.timer);
  }
}
