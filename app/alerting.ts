import { AlertEngine, type EvaluatorFactory } from '../alerts/engine.js';
import { createEvaluatorFactory } from '../alerts/evaluator-factory.js';
import { AlertLifecycle } from '../alerts/lifecycle.js';
import { NotificationDispatcher } from '../alerts/notifiers/dispatcher.js';
import type { Notifier } from '../alerts/notifiers/notifier.js';
import { WebhookNotifier } from '../alerts/notifiers/webhook.js';
import { getRulePack, resolveSettings, RULE_PACKS } from '../alerts/rules/index.js';
import type { RuleConfig } from '../api/ports.js';
import type { Ingest } from '../ingest/ingest.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store } from '../store/index.js';
import type { Config } from './config.js';

export interface Alerting {
  lifecycle: AlertLifecycle;
  /** Rule packs and overrides, for the API. */
  rules: RuleConfig;
  engine: AlertEngine;
  dispatcher: NotificationDispatcher;
  /** Saves rule state, waits for alert changes; gives up notifications still retrying. */
  close(): Promise<void>;
}

export interface AlertingOptions {
  config: Readonly<Config>;
  store: Store;
  ingest: Ingest;
  metrics: Metrics;
  logger: Logger;
  clock: () => number;
  /** Tests may drive the engine with their own rules. */
  createEvaluator?: EvaluatorFactory;
}

/** Wires the alert engine: ingest events → rules → lifecycle → live pushes and notifiers. */
export async function startAlerting(options: AlertingOptions): Promise<Alerting> {
  const { config, store, metrics, clock } = options;
  const logger = options.logger.child({ component: 'alerts' });
  const lifecycle = new AlertLifecycle({ alerts: store.alerts, policy: config.alerts.policy, metrics, logger, clock });
  const { webhook } = config.alerts;
  const notifiers: Notifier[] = webhook.urls.map(
    (url) => new WebhookNotifier({ url, timeoutMs: webhook.timeoutMs, ...(webhook.secret ? { secret: webhook.secret } : {}) }),
  );
  const dispatcher = new NotificationDispatcher({ notifiers, registry: store.registry, retry: webhook.retry, metrics, logger, clock });
  lifecycle.on('alert:notify', (kind, alert) => dispatcher.dispatch(kind, alert));
  const engine = new AlertEngine({
    source: options.ingest,
    registry: store.registry,
    ruleState: store.ruleState,
    lifecycle,
    createEvaluator: options.createEvaluator ?? createEvaluatorFactory({ packId: config.alerts.rulePack, ruleState: store.ruleState, logger }),
    logger,
    clock,
    tickMs: config.alerts.tickMs,
    stateFlushMs: config.alerts.stateFlushMs,
    restingStateSaveMs: config.alerts.restingStateSaveMs,
  });
  await engine.start();
  const pack = getRulePack(config.alerts.rulePack);
  const rules: RuleConfig = {
    packs: () => Object.values(RULE_PACKS),
    resolve: (site, device) => resolveSettings(pack, site, device),
    changed: (deviceIds) => engine.reconfigure(deviceIds),
  };
  return {
    lifecycle,
    rules,
    engine,
    dispatcher,
    async close() {
      await engine.close();
      await dispatcher.close();
    },
  };
}
