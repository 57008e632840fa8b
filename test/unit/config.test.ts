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

  it('bounds workflow queries, waits for them, and limits each user, by default; the limit turns off with 0', () => {
    expect(loadConfig({})).toMatchObject({ API_MAX_CONCURRENT_QUERIES: 16, LIVE_VIEW_PATIENCE: 500, API_RATE_LIMIT: 100, API_RATE_LIMIT_WINDOW: 1_000 });
    expect(loadConfig({ API_MAX_CONCURRENT_QUERIES: '64', LIVE_VIEW_PATIENCE: '1s', API_RATE_LIMIT: '0', API_RATE_LIMIT_WINDOW: '1m' })).toMatchObject({
      API_MAX_CONCURRENT_QUERIES: 64,
      LIVE_VIEW_PATIENCE: 1_000,
      API_RATE_LIMIT: 0,
      API_RATE_LIMIT_WINDOW: 60_000,
    });
    expect(() => loadConfig({ API_MAX_CONCURRENT_QUERIES: '0' })).toThrow(/API_MAX_CONCURRENT_QUERIES/);
    expect(() => loadConfig({ LIVE_VIEW_PATIENCE: '2m' })).toThrow(/LIVE_VIEW_PATIENCE/);
    expect(() => loadConfig({ API_RATE_LIMIT: '-1' })).toThrow(/API_RATE_LIMIT/);
    expect(() => loadConfig({ API_RATE_LIMIT_WINDOW: '1500ms' })).toThrow(/API_RATE_LIMIT_WINDOW: must be whole seconds/);
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
