import { CAMERA_FINDING_TYPES, type FieldValues } from '../../contracts/index.js';
import { Random } from '../random.js';
import { kitchenActivity, localHour } from './kitchen-hours.js';
import { clamp, round, SteppedModel, type FaultName, type SimulatedFinding } from './model.js';

const CAMERA_FAULTS: ReadonlySet<FaultName> = new Set<FaultName>(['camera_offline', 'lens_occluded', 'storage_full']);

/** Random drop-outs (Wi-Fi, PoE switch, NVR restart): about one every two days, a few minutes each. */
const OUTAGES_PER_HOUR = 1 / 48;
/** Recording uses this much of the NVR per day; at the floor the NVR overwrites the oldest day. */
const STORAGE_USE_PCT_PER_DAY = 4;
const STORAGE_FLOOR_PCT = 6;

/** Findings per hour in service; a few per day per camera in all. */
const FINDINGS_PER_SERVICE_HOUR = 0.5;
/** Closed kitchens still see a rodent now and then. */
const FINDINGS_PER_NIGHT_HOUR = 0.03;

const ZONES = ['热厨区', '凉菜间', '备餐间', '洗消间', '粗加工区', '仓库'] as const;
/** Relative frequency of each finding, from the kinds 明厨亮灶 platforms report most. */
const DAY_WEIGHTS: Readonly<Partial<Record<(typeof CAMERA_FINDING_TYPES)[number], number>>> = {
  no_chef_hat: 30, no_mask: 25, mask_worn_wrongly: 12, no_work_clothes: 10, phone_use: 10, smoking: 4,
  uncovered_bin: 6, unattended_flame: 2, unauthorised_person: 2, rodent: 1,
};

/**
 * A kitchen camera as its NVR/gateway reports it: online and streaming at ~25 fps
 * almost all the time, with the odd drop-out; the NVR slowly fills and overwrites
 * its oldest footage. AI findings come from {@link findings}, mostly in service.
 */
export class Camera extends SteppedModel {
  readonly kind = 'camera' as const;
  private readonly baseKbps: number;
  private readonly findingsRng: Random;
  private storageFreePct = 50;
  /** Seconds left of the current drop-out (0 = online). */
  private outageS = 0;
  private findingsAt: number | undefined;

  constructor(seed: number) {
    super(seed, CAMERA_FAULTS);
    this.baseKbps = this.rng.pick([1024, 2048, 2048, 4096]);
    // Its own stream: whether the caller asks for findings must not change the readings.
    this.findingsRng = this.rng.fork('findings');
  }

  protected init(t: number): void {
    this.storageFreePct = this.rng.uniform(15, 90);
    this.findingsAt = t;
  }

  private online(): boolean {
    return this.outageS <= 0 && !this.has('camera_offline') && !this.has('power_loss');
  }

  protected step(_t: number, dtS: number): void {
    if (this.outageS > 0) this.outageS = Math.max(0, this.outageS - dtS);
    else if (this.rng.chance((OUTAGES_PER_HOUR / 3600) * dtS)) this.outageS = this.rng.uniform(120, 600);
    if (this.has('storage_full')) {
      // A failed disk or a stopped overwrite: free space runs out and recording stops.
      this.storageFreePct = Math.max(0, this.storageFreePct - (50 / 3600) * dtS);
      return;
    }
    if (!this.online()) return;
    this.storageFreePct -= (STORAGE_USE_PCT_PER_DAY / 86_400) * dtS;
    // The NVR deletes its oldest day of footage to make room (loop recording).
    if (this.storageFreePct <= STORAGE_FLOOR_PCT) this.storageFreePct += STORAGE_USE_PCT_PER_DAY;
  }

  protected read(_t: number): FieldValues {
    const storage = round(clamp(this.storageFreePct, 0, 100), 1);
    if (!this.online()) {
      return { online: false, streaming: false, fps: 0, bitrateKbps: 0, recording: false, storageFreePct: storage, lensOccluded: false, lensMoved: false };
    }
    const occluded = this.has('lens_occluded');
    // A black frame compresses to almost nothing.
    const kbps = occluded ? this.rng.uniform(60, 200) : this.baseKbps * (1 + this.rng.normal(0, 0.08));
    return {
      online: true,
      streaming: true,
      fps: round(clamp(this.rng.normal(25, 0.4), 0, 30), 1),
      bitrateKbps: Math.round(Math.max(0, kbps)),
      recording: storage > 0.5,
      storageFreePct: storage,
      lensOccluded: occluded,
      lensMoved: false,
    };
  }

  /** AI findings since the previous call (a camera that is off or covered sees nothing). */
  findings(t: number): SimulatedFinding[] {
    this.advance(t);
    const from = this.findingsAt ?? t;
    this.findingsAt = Math.max(from, t);
    if (!this.online() || this.has('lens_occluded')) return [];
    const found: SimulatedFinding[] = [];
    for (let at = from; at < t; at += 60_000) {
      const minutes = Math.min(60_000, t - at) / 60_000;
      const activity = kitchenActivity(at);
      const perHour = activity > 0 ? FINDINGS_PER_SERVICE_HOUR * activity : FINDINGS_PER_NIGHT_HOUR;
      if (this.findingsRng.chance((perHour * minutes) / 60)) found.push(this.finding(at));
    }
    return found;
  }

  private finding(at: number): SimulatedFinding {
    const h = localHour(at);
    const night = h < 6 || h >= 22;
    // At night the kitchen is empty: what a camera sees then is a rodent.
    const type = night ? 'rodent' : weighted(this.findingsRng, DAY_WEIGHTS);
    return {
      type,
      confidence: round(this.findingsRng.uniform(0.55, 0.98), 2),
      zone: this.findingsRng.pick(ZONES),
    };
  }
}

function weighted<K extends string>(rng: Random, weights: Readonly<Partial<Record<K, number>>>): K {
  const entries = Object.entries(weights) as Array<[K, number]>;
  let r = rng.uniform(0, entries.reduce((sum, [, w]) => sum + w, 0));
  for (const [key, w] of entries) {
    r -= w;
    if (r < 0) return key;
  }
  return (entries[entries.length - 1] as [K, number])[0];
}
