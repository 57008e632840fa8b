import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../src/config/env.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config.TEMPORAL_ADDRESS).toBeUndefined();
    expect(config).toMatchObject({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/vidproc',
      AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
      AMQP_EXCHANGE: 'vidproc.events',
      AMQP_QUEUE: 'vidproc.status-tracker',
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: 'video-status',
      PORT: 3000,
      LOG_LEVEL: 'info',
      TEMPORAL_TLS: false,
    });
  });

  it('delivers webhooks to public https endpoints, retried for a day, disabling one after 3 days of failure, by default', () => {
    expect(loadConfig({}).webhooks).toEqual({
      allowPrivate: false,
      timeoutMs: 10_000,
      retryInitialMs: 30_000,
      retryMaxIntervalMs: 4 * 3_600_000,
      retryForMs: 24 * 3_600_000,
      disableAfterMs: 3 * 86_400_000,
    });
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_INITIAL: '200ms' }).webhooks).toMatchObject({ allowPrivate: true, retryInitialMs: 200 });
    expect(() => loadConfig({ WEBHOOK_TIMEOUT: '5m', WEBHOOK_DISABLE_AFTER: 'soon', WEBHOOK_ALLOW_PRIVATE: 'yes' })).toThrow(
      /WEBHOOK_ALLOW_PRIVATE[\s\S]*WEBHOOK_TIMEOUT[\s\S]*WEBHOOK_DISABLE_AFTER/,
    );
  });

  it('keeps finished views and reuses live views for 250ms by default; 0 turns either off', () => {
    expect(loadConfig({})).toMatchObject({ FINAL_VIEW_CACHE_SIZE: 10_000, LIVE_VIEW_MAX_AGE: 250 });
    expect(loadConfig({ FINAL_VIEW_CACHE_SIZE: '0', LIVE_VIEW_MAX_AGE: '0' })).toMatchObject({ FINAL_VIEW_CACHE_SIZE: 0, LIVE_VIEW_MAX_AGE: 0 });
    expect(loadConfig({ LIVE_VIEW_MAX_AGE: '1s' }).LIVE_VIEW_MAX_AGE).toBe(1_000);
    expect(loadConfig({ LIVE_VIEW_MAX_AGE: '0ms' }).LIVE_VIEW_MAX_AGE).toBe(0);
    expect(() => loadConfig({ LIVE_VIEW_MAX_AGE: 'soon', FINAL_VIEW_CACHE_SIZE: '-1' })).toThrow(/FINAL_VIEW_CACHE_SIZE[\s\S]*LIVE_VIEW_MAX_AGE/);
    expect(() => loadConfig({ LIVE_VIEW_MAX_AGE: '2m' })).toThrow(/LIVE_VIEW_MAX_AGE/);
    expect(() => loadConfig({ LIVE_VIEW_MAX_AGE: '1.5ms' })).toThrow(/LIVE_VIEW_MAX_AGE: must be whole milliseconds/);
  });

  it('groups alerts past 3 a minute (10 ids named), links the dev Web UI only when it runs it, and paces commands at 10 a second, by default', () => {
    expect(loadConfig({}).alertGrouping).toEqual({ windowMs: 60_000, threshold: 3, sampleSize: 10, webUiUrl: 'http://127.0.0.1:8233' });
    expect(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' }).alertGrouping.webUiUrl).toBeNull();
    expect(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_WEB_UI_URL: 'https://ui.example.com' }).alertGrouping.webUiUrl).toBe('https://ui.example.com');
    expect(loadConfig({ ALERT_GROUP_WINDOW: '5m', ALERT_GROUP_THRESHOLD: '0', ALERT_GROUP_SAMPLE: '25' }).alertGrouping).toMatchObject({ windowMs: 300_000, threshold: 0, sampleSize: 25 });
    expect(loadConfig({}).REPROCESS_RATE).toBe(10);
    expect(loadConfig({ REPROCESS_RATE: '0.5' }).REPROCESS_RATE).toBe(0.5);
    expect(() => loadConfig({ ALERT_GROUP_WINDOW: 'soon', ALERT_GROUP_THRESHOLD: '-1', ALERT_GROUP_SAMPLE: '0', TEMPORAL_WEB_UI_URL: 'ui', REPROCESS_RATE: '0' })).toThrow(
      /ALERT_GROUP_WINDOW[\s\S]*ALERT_GROUP_THRESHOLD[\s\S]*ALERT_GROUP_SAMPLE[\s\S]*TEMPORAL_WEB_UI_URL[\s\S]*REPROCESS_RATE/,
    );
  });

  it('treats empty values as unset', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: '  ', AUTH_JWT_SECRET: '' });
    expect(config.TEMPORAL_ADDRESS).toBeUndefined();
    expect(config.AUTH_JWT_SECRET).toBeUndefined();
  });

  it('fails fast naming every bad variable', () => {
    const bad = () =>
      loadConfig({ DATABASE_URL: 'mysql://x', PORT: 'eighty', AUTH_JWT_SECRET: 'short', LOG_LEVEL: 'loud' });
    expect(bad).toThrow(ConfigError);
    try {
      bad();
    } catch (err) {
      const message = (err as Error).message;
      for (const name of ['DATABASE_URL', 'PORT', 'AUTH_JWT_SECRET', 'LOG_LEVEL']) expect(message).toContain(name);
    }
  });
});
