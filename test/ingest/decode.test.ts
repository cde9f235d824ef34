import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_FUTURE_SKEW_MS, type DeviceMessage, type UplinkChannel } from '../../contracts/index.js';
import { decodeMessage } from '../../ingest/decode.js';
import type { DeviceInfo } from '../../ingest/device-directory.js';

const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
const options = { nowMs: NOW, maxFutureSkewMs: DEFAULT_MAX_FUTURE_SKEW_MS };
const fridge: DeviceInfo = { id: 'fridge-1', kind: 'temperature', siteId: 'site-1' };
const camera: DeviceInfo = { id: 'cam-1', kind: 'camera', siteId: 'site-1' };

const message = (deviceId: string, channel: UplinkChannel, payload: unknown): DeviceMessage => ({
  deviceId,
  channel,
  payload: Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
  receivedAt: NOW + 7,
});

const reading = (seq: number, extra: Record<string, unknown> = {}) => ({ ts: NOW - 60_000 + seq * 1000, seq, boot: 'b-1', temperatureC: 3.5, ...extra });

describe('decodeMessage', () => {
  it('turns a valid reading into one record with the device, kind and arrival time', () => {
    const { write, status } = decodeMessage(message('fridge-1', 'telemetry', reading(4, { doorOpen: true, extra: 1 })), fridge, options);
    expect(status).toBeUndefined();
    expect(write.quarantine).toEqual([]);
    expect(write.readings).toEqual([
      { deviceId: 'fridge-1', kind: 'temperature', ts: NOW - 56_000, seq: 4, boot: 'b-1', receivedAt: NOW + 7, values: { temperatureC: 3.5, doorOpen: true } },
    ]);
  });

  describe('quarantine reasons', () => {
    const only = (decoded: ReturnType<typeof decodeMessage>) => {
      expect(decoded.write.readings).toEqual([]);
      expect(decoded.write.findings).toEqual([]);
      expect(decoded.write.quarantine).toHaveLength(1);
      return decoded.write.quarantine[0]!;
    };

    it('not_json: keeps the raw bytes', () => {
      const raw = Buffer.from([0x7b, 0x22, 0xff, 0x00]);
      const entry = only(decodeMessage(message('fridge-1', 'telemetry', raw), fridge, options));
      expect(entry).toMatchObject({ reason: 'not_json', deviceId: 'fridge-1', channel: 'telemetry', receivedAt: NOW + 7 });
      expect(Buffer.compare(entry.payload, raw)).toBe(0);
      expect(entry.detail.length).toBeGreaterThan(0);
    });

    it('invalid_payload: names the offending field', () => {
      const entry = only(decodeMessage(message('fridge-1', 'telemetry', reading(1, { temperatureC: 999 })), fridge, options));
      expect(entry.reason).toBe('invalid_payload');
      expect(entry.detail).toContain('temperatureC');
      for (const payload of [reading(1, { temperatureC: 'cold' }), { seq: 1, boot: 'b', temperatureC: 1 }, [], null, 42]) {
        expect(only(decodeMessage(message('fridge-1', 'telemetry', payload), fridge, options)).reason).toBe('invalid_payload');
      }
    });

    it('timestamp_in_future: beyond the allowed skew, not within it', () => {
      const ahead = reading(1, { ts: NOW + DEFAULT_MAX_FUTURE_SKEW_MS + 1000 });
      expect(only(decodeMessage(message('fridge-1', 'telemetry', ahead), fridge, options)).reason).toBe('timestamp_in_future');
      const slightlyAhead = reading(1, { ts: NOW + DEFAULT_MAX_FUTURE_SKEW_MS });
      expect(decodeMessage(message('fridge-1', 'telemetry', slightlyAhead), fridge, options).write.readings).toHaveLength(1);
      const finding = { ts: NOW + DEFAULT_MAX_FUTURE_SKEW_MS + 1, seq: 1, boot: 'b', type: 'smoking', confidence: 0.9 };
      expect(only(decodeMessage(message('cam-1', 'events', finding), camera, options)).reason).toBe('timestamp_in_future');
    });

    it('unknown_device: whatever the payload', () => {
      for (const channel of ['telemetry', 'telemetry-batch', 'status', 'events'] as const) {
        const entry = only(decodeMessage(message('ghost', channel, reading(1)), undefined, options));
        expect(entry).toMatchObject({ reason: 'unknown_device', deviceId: 'ghost', channel });
      }
    });

    it('wrong_kind: camera findings from a device that is not a camera', () => {
      const finding = { ts: NOW, seq: 1, boot: 'b', type: 'rodent', confidence: 0.7 };
      expect(only(decodeMessage(message('fridge-1', 'events', finding), fridge, options)).reason).toBe('wrong_kind');
    });

    it('checks a reading against its own kind: a fridge reading is invalid from a camera', () => {
      expect(only(decodeMessage(message('cam-1', 'telemetry', reading(1)), camera, options)).reason).toBe('invalid_payload');
    });
  });

  describe('batches', () => {
    it('stores the good readings and quarantines only the bad one, naming its index', () => {
      const readings = [0, 1, 2, 3, 4].map((seq) => {
        const { boot: _boot, ...r } = reading(seq);
        return r;
      });
      (readings[2] as Record<string, unknown>).temperatureC = -500;
      const { write } = decodeMessage(message('fridge-1', 'telemetry-batch', { boot: 'b-9', readings }), fridge, options);
      expect(write.readings.map((r) => r.seq)).toEqual([0, 1, 3, 4]);
      expect(write.readings.every((r) => r.boot === 'b-9' && r.deviceId === 'fridge-1')).toBe(true);
      expect(write.quarantine).toHaveLength(1);
      const [entry] = write.quarantine;
      expect(entry!.reason).toBe('invalid_payload');
      expect(entry!.detail).toContain('readings[2]');
      // The quarantined payload holds the bad reading, so an operator can see what was sent.
      expect(JSON.parse(entry!.payload.toString('utf8'))).toMatchObject({ boot: 'b-9', reading: { temperatureC: -500 } });
    });

    it('quarantines a future-dated reading of a batch by its index', () => {
      const readings = [reading(0), reading(1, { ts: NOW + DEFAULT_MAX_FUTURE_SKEW_MS + 60_000 })];
      const { write } = decodeMessage(message('fridge-1', 'telemetry-batch', { boot: 'b-1', readings }), fridge, options);
      expect(write.readings.map((r) => r.seq)).toEqual([0]);
      expect(write.quarantine.map((q) => [q.reason, q.detail.includes('readings[1]')])).toEqual([['timestamp_in_future', true]]);
    });

    it('quarantines a batch whose envelope is wrong as one entry', () => {
      const tooMany = Array.from({ length: 501 }, (_, i) => reading(i));
      for (const payload of [{ boot: 'b-1', readings: tooMany }, { boot: 'b-1', readings: [] }, { readings: [reading(1)] }, [reading(1)]]) {
        const { write } = decodeMessage(message('fridge-1', 'telemetry-batch', payload), fridge, options);
        expect(write.readings).toEqual([]);
        expect(write.quarantine.map((q) => q.reason)).toEqual(['invalid_payload']);
      }
    });
  });

  it('turns a status message into a presence status and writes nothing', () => {
    const decoded = decodeMessage(message('fridge-1', 'status', { online: false, reason: 'last will' }), fridge, options);
    expect(decoded.status).toEqual({ online: false, reason: 'last will' });
    expect(decoded.write).toEqual({ readings: [], findings: [], quarantine: [] });
    expect(decodeMessage(message('fridge-1', 'status', { online: 'maybe' }), fridge, options).write.quarantine[0]?.reason).toBe('invalid_payload');
  });

  it('turns a camera event into a finding', () => {
    const finding = { ts: NOW - 1000, seq: 8, boot: 'cam-b', type: 'no_mask', confidence: 0.66, zone: 'wok' };
    const { write } = decodeMessage(message('cam-1', 'events', finding), camera, options);
    expect(write.findings).toEqual([{ ...finding, deviceId: 'cam-1', receivedAt: NOW + 7 }]);
    expect(write.readings).toEqual([]);
  });
});
