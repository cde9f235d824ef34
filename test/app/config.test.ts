import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../app/config.js';

describe('configuration', () => {
  it('starts with safe defaults from an empty environment', () => {
    const config = loadConfig({});
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(config.mqtt).toMatchObject({ host: '127.0.0.1', port: 1883 });
    expect(config.mqtt.tls).toBeUndefined();
    expect(config.mqtt.admission).toMatchObject({ maxPendingPerAddress: 64, failureLimit: 20, distinctIdLimit: 10, banMs: 600_000 });
    expect(config.sqlite.synchronous).toBe('full');
    expect(config.adminToken).toBeUndefined();
  });

  it('lists every bad key at once', () => {
    let error: unknown;
    try {
      loadConfig({ SK_HTTP_PORT: 'eighty', SK_MQTT_PORT: '70000', SK_ADMIN_TOKEN: 'tok-XYZZY', SK_SQLITE_SYNCHRONOUS: 'off', SK_TLS_CERT_FILE: '/x.crt' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const keys = (error as ConfigError).problems.map((p) => p.split(':')[0]);
    expect(keys).toEqual(expect.arrayContaining(['SK_HTTP_PORT', 'SK_MQTT_PORT', 'SK_ADMIN_TOKEN', 'SK_SQLITE_SYNCHRONOUS']));
    // The admin token's value never appears in the message.
    expect((error as ConfigError).message).not.toContain('XYZZY');
  });

  it('requires the TLS certificate and key together, and returns a frozen object', () => {
    expect(() => loadConfig({ SK_TLS_KEY_FILE: '/k.pem' })).toThrow(ConfigError);
    const config = loadConfig({ SK_TLS_CERT_FILE: '/c.pem', SK_TLS_KEY_FILE: '/k.pem', SK_CORS_ORIGINS: 'https://a.example, https://b.example' });
    expect(config.mqtt.tls).toEqual({ port: 8883, certFile: '/c.pem', keyFile: '/k.pem' });
    expect(config.http.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(Object.isFrozen(config.http)).toBe(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('keeps telemetry in SQLite for two years by default, and rollups at least as long', () => {
    const config = loadConfig({});
    expect(config.store).toEqual({ kind: 'sqlite' });
    expect(config.retention.rawDays).toBeGreaterThanOrEqual(730);
    expect(config.retention.rollupDays).toBeGreaterThanOrEqual(config.retention.rawDays);
    expect(() => loadConfig({ SK_RAW_RETENTION_DAYS: '800', SK_ROLLUP_RETENTION_DAYS: '400' })).toThrow(/SK_ROLLUP_RETENTION_DAYS/);
  });

  it('selects InfluxDB only with its URL, org, bucket and token, naming each missing one and never echoing the token', () => {
    let error: unknown;
    try {
      loadConfig({ SK_STORE: 'influx', SK_INFLUX_ORG: 'kitchens' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const keys = (error as ConfigError).problems.map((p) => p.split(':')[0]).sort();
    expect(keys).toEqual(['SK_INFLUX_BUCKET', 'SK_INFLUX_TOKEN', 'SK_INFLUX_URL']);
    expect(() => loadConfig({ SK_STORE: 'influx', SK_INFLUX_URL: 'ftp://x', SK_INFLUX_ORG: 'o', SK_INFLUX_BUCKET: 'b', SK_INFLUX_TOKEN: 'secret-token-QQQ' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('QQQ') }),
    );
    const config = loadConfig({ SK_STORE: 'influx', SK_INFLUX_URL: 'http://influx:8086', SK_INFLUX_ORG: 'o', SK_INFLUX_BUCKET: 'b', SK_INFLUX_TOKEN: 't' });
    expect(config.store).toMatchObject({ kind: 'influx', url: 'http://influx:8086', org: 'o', bucket: 'b', token: 't', batchLines: 5000 });
  });
});
