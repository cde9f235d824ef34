import { EventEmitter } from 'node:events';
import type { DeviceId, DeviceMessage, IngestOutcome, SiteId } from '../contracts/index.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { FindingRecord, IngestSink, IngestWrite, IngestWriteResult, PresenceUpdate, QuarantineEntry, RegistryStore, TelemetryRecord } from '../store/index.js';
import { decodeMessage } from './decode.js';
import { DeviceDirectory } from './device-directory.js';
import { GroupCommitter } from './group-commit.js';
import { LatestValues } from './latest-values.js';

const NOTHING_WRITTEN: IngestWriteResult = Object.freeze({ readingsInserted: [], findingsInserted: [] });

/** Domain events, emitted after the data they describe is durable. */
export interface IngestEvents {
  'reading:stored': [record: TelemetryRecord, siteId: SiteId];
  'finding:stored': [finding: FindingRecord, siteId: SiteId];
  'payload:rejected': [entry: QuarantineEntry];
  'device:presence': [change: { deviceId: DeviceId; siteId: SiteId; online: boolean; at: number }];
}

export interface IngestOptions {
  registry: RegistryStore;
  sink: IngestSink;
  metrics: Metrics;
  logger: Logger;
  /** Server clock, epoch ms; injectable for tests. */
  clock?: () => number;
  maxFutureSkewMs: number;
  /** See DecodeOptions.maxLiveLagMs. */
  maxLiveLagMs?: number;
  /** See DecodeOptions.rawRetentionMs. */
  rawRetentionMs?: number;
  /** Most messages in one group commit. */
  maxBatch?: number;
  /** Least time between the starts of two group commits of readings while messages keep coming (ms; GroupCommitOptions.minSpacingMs). */
  commitSpacingMs?: number;
}

/**
 * The ingest pipeline: decode and validate → group commit → update the latest
 * values → emit domain events. Independent of any broker: whatever delivers
 * device messages calls {@link Ingest.handle} and acknowledges the message to the
 * device only after the returned promise resolves.
 */
export class Ingest extends EventEmitter<IngestEvents> {
  readonly latest = new LatestValues();
  readonly directory: DeviceDirectory;
  private readonly committer: GroupCommitter<IngestWrite, IngestWriteResult>;
  /** Presence changes are group-committed too: 20,000 devices reconnecting must not cost 20,000 fsyncs. */
  private readonly presence: GroupCommitter<PresenceUpdate, boolean>;
  private readonly clock: () => number;
  /** Messages between hand-over and their outcome, so close() can wait for every one. */
  private inFlight = 0;
  private whenIdle: (() => void)[] = [];
  private failingSince: number | undefined;

  constructor(private readonly options: IngestOptions) {
    super();
    this.directory = new DeviceDirectory(options.registry);
    this.clock = options.clock ?? Date.now;
    const { metrics } = options;
    this.committer = new GroupCommitter((writes) => options.sink.writeBatch(writes), {
      maxBatch: options.maxBatch ?? 2_000,
      minSpacingMs: options.commitSpacingMs ?? 0,
      onWrite: (size, seconds, error) => {
        metrics.storeBatchSize.observe(size);
        metrics.storeWriteSeconds.observe(seconds);
        if (error) {
          metrics.storeWriteFailures.inc();
          metrics.storeFailing.set(1);
          this.failingSince ??= this.clock();
          options.logger.error({ err: error, messages: size, failingSince: new Date(this.failingSince).toISOString() }, 'store write failed; messages not acknowledged');
        } else if (this.failingSince !== undefined) {
          metrics.storeFailing.set(0);
          options.logger.warn({ failedForMs: this.clock() - this.failingSince }, 'store writes succeed again');
          this.failingSince = undefined;
        }
      },
    });
    this.presence = new GroupCommitter((changes) => options.registry.setPresenceMany(changes), { maxBatch: options.maxBatch ?? 2_000 });
  }

  /** Since when the last group commits have failed (epoch ms), or undefined while writes succeed. */
  get storeFailingSince(): number | undefined {
    return this.failingSince;
  }

  /**
   * Handles one message. Resolves once everything it carries is durable (or
   * quarantined, which is durable too); rejects only when the store failed, in
   * which case the message must not be acknowledged, so the device sends it again.
   */
  async handle(msg: DeviceMessage): Promise<IngestOutcome> {
    // Counted before the first await, so close() sees it. A count, not a set of promises: nothing allocated per message to track it.
    this.inFlight++;
    try {
      const { metrics } = this.options;
      metrics.messagesReceived.add(msg.channel);
      const device = this.directory.cached(msg.deviceId) ?? (await this.directory.get(msg.deviceId));
      const { maxFutureSkewMs, maxLiveLagMs, rawRetentionMs } = this.options;
      const decoded = decodeMessage(msg, device, { nowMs: this.clock(), maxFutureSkewMs, maxLiveLagMs, rawRetentionMs });
      const { write } = decoded;

      if (decoded.status && device) await this.setPresence(device.id, decoded.status.online, msg.receivedAt);
      const empty = write.readings.length + write.findings.length + write.quarantine.length === 0;
      let result: IngestWriteResult = NOTHING_WRITTEN;
      if (!empty) {
        const { written, index } = this.committer.enqueue(write);
        result = (await written)[index]!;
      }

      let stored = 0;
      for (let i = 0; i < write.readings.length; i++) {
        if (!result.readingsInserted[i]) continue;
        const record = write.readings[i]!;
        stored++;
        this.latest.offer(record);
        this.emit('reading:stored', record, device!.siteId);
      }
      for (let i = 0; i < write.findings.length; i++) {
        if (result.findingsInserted[i]) this.emit('finding:stored', write.findings[i]!, device!.siteId);
      }
      // One message carries readings of one device, so of one kind: one counter update.
      if (stored > 0) metrics.readingsStored.add(device!.kind, stored);
      const duplicates = write.readings.length - stored;
      if (duplicates > 0) metrics.duplicates.inc(duplicates);
      for (const entry of write.quarantine) {
        metrics.payloadsRejected.inc({ reason: entry.reason });
        this.emit('payload:rejected', entry);
      }
      if (write.quarantine.length > 0 && write.readings.length === 0 && write.findings.length === 0) {
        return { status: 'quarantined', reason: write.quarantine[0]!.reason };
      }
      return { status: 'stored', stored, duplicates };
    } finally {
      if (--this.inFlight === 0 && this.whenIdle.length > 0) for (const idle of this.whenIdle.splice(0)) idle();
    }
  }

  /** Records a connect or disconnect (from the broker, or a device's status or last will). */
  async setPresence(deviceId: DeviceId, online: boolean, at: number): Promise<void> {
    const device = await this.directory.get(deviceId);
    if (!device) return;
    if (await this.presence.submit({ id: deviceId, online, at })) {
      this.emit('device:presence', { deviceId, siteId: device.siteId, online, at });
    }
  }

  /** Writes everything already handed over (even messages still being decoded), then refuses more. */
  async close(): Promise<void> {
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.whenIdle.push(resolve));
    await this.committer.close();
    await this.presence.close();
  }
}
