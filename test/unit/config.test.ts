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
      AMQP_DELIVERY_LIMIT: 20,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: 'video-status',
      PORT: 3000,
      LOG_LEVEL: 'info',
      TEMPORAL_TLS: false,
    });
  });

  it('takes a delivery limit from 1 to 1000', () => {
    expect(loadConfig({ AMQP_DELIVERY_LIMIT: '3' }).AMQP_DELIVERY_LIMIT).toBe(3);
    expect(() => loadConfig({ AMQP_DELIVERY_LIMIT: '0' })).toThrow(/AMQP_DELIVERY_LIMIT/);
    expect(() => loadConfig({ AMQP_DELIVERY_LIMIT: 'many' })).toThrow(/AMQP_DELIVERY_LIMIT/);
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

  it('hardens the HTTP edge and the tokens by default; each setting can be changed, and a bad one is named', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({ bodyLimitBytes: 64 * 1024, corsOrigins: [], headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000 });
    expect(config).toMatchObject({
      AUTH_JWKS_ALGORITHMS: ['RS256', 'ES256'],
      AUTH_MAX_TOKEN_LIFETIME: 24 * 3_600_000,
      AUTH_CLOCK_TOLERANCE: 30_000,
      AUTH_JWKS_CACHE_MAX_AGE: 600_000,
      AUTH_JWKS_COOLDOWN: 30_000,
      SSE_MAX_DURATION: 3_600_000,
    });
    const changed = loadConfig({
      API_BODY_LIMIT: '1Mi',
      API_CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
      API_HEADERS_TIMEOUT: '5s',
      API_REQUEST_TIMEOUT: '1m',
      API_KEEP_ALIVE_TIMEOUT: '65s',
      AUTH_JWKS_ALGORITHMS: 'PS256,EdDSA',
      AUTH_CLOCK_TOLERANCE: '0',
    });
    expect(changed.http).toEqual({
      bodyLimitBytes: 2 ** 20,
      corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
      headersTimeoutMs: 5_000,
      requestTimeoutMs: 60_000,
      keepAliveTimeoutMs: 65_000,
    });
    expect(changed).toMatchObject({ AUTH_JWKS_ALGORITHMS: ['PS256', 'EdDSA'], AUTH_CLOCK_TOLERANCE: 0 });
    expect(loadConfig({ API_CORS_ORIGINS: '*' }).http.corsOrigins).toEqual(['*']);
    const bad = (env: Record<string, string>, name: RegExp) => expect(() => loadConfig(env)).toThrow(name);
    bad({ API_BODY_LIMIT: 'lots' }, /API_BODY_LIMIT/);
    bad({ API_CORS_ORIGINS: 'https://app.example.com/path' }, /API_CORS_ORIGINS/);
    bad({ API_HEADERS_TIMEOUT: '1m', API_REQUEST_TIMEOUT: '30s' }, /API_HEADERS_TIMEOUT: must not be longer than API_REQUEST_TIMEOUT/);
    bad({ AUTH_JWKS_ALGORITHMS: 'HS256' }, /AUTH_JWKS_ALGORITHMS/);
    bad({ AUTH_JWKS_ALGORITHMS: 'none' }, /AUTH_JWKS_ALGORITHMS/);
    bad({ AUTH_CLOCK_TOLERANCE: '1h' }, /AUTH_CLOCK_TOLERANCE/);
    bad({ AUTH_MAX_TOKEN_LIFETIME: 'forever' }, /AUTH_MAX_TOKEN_LIFETIME/);
  });

  it('verifies tokens with the AUTH_* settings as given when no Cognito pool is set', () => {
    expect(loadConfig({ AUTH_JWKS_URL: 'https://idp.example.com/jwks.json', AUTH_ISSUER: 'https://idp.example.com', AUTH_AUDIENCE: 'vidproc' }).auth).toEqual({
      secret: undefined,
      jwksUrl: 'https://idp.example.com/jwks.json',
      issuer: 'https://idp.example.com',
      audience: 'vidproc',
      jwksAlgorithms: ['RS256', 'ES256'],
      maxTokenLifetimeMs: 24 * 3_600_000,
      clockToleranceMs: 30_000,
      jwksCacheMaxAgeMs: 600_000,
      jwksCooldownMs: 30_000,
      rolesClaim: undefined,
      operatorRoles: undefined,
      cognito: undefined,
    });
    expect(loadConfig({ AUTH_ROLES_CLAIM: 'groups', AUTH_OPERATOR_ROLES: 'ops, admins' }).auth).toMatchObject({ rolesClaim: 'groups', operatorRoles: ['ops', 'admins'] });
  });

  it("derives a Cognito pool's issuer, key set and groups claim from its id, and accepts access tokens of the named app clients", () => {
    const auth = loadConfig({ AUTH_COGNITO_USER_POOL: 'eu-west-1_AbC123xyz', AUTH_COGNITO_CLIENT_IDS: '1example23456789, 2other' }).auth;
    expect(auth).toMatchObject({
      secret: undefined,
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz',
      jwksUrl: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz/.well-known/jwks.json',
      audience: undefined,
      rolesClaim: 'cognito:groups',
      operatorRoles: undefined,
      cognito: { clientIds: ['1example23456789', '2other'], tokenUses: ['access'] },
    });
    const withId = loadConfig({
      AUTH_COGNITO_USER_POOL: 'us-gov-west-1_Xy9',
      AUTH_COGNITO_CLIENT_IDS: 'client1',
      AUTH_COGNITO_TOKEN_USE: 'access,id',
      AUTH_OPERATOR_ROLES: 'operators',
      AUTH_ROLES_CLAIM: 'custom:roles',
    }).auth;
    expect(withId).toMatchObject({
      issuer: 'https://cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_Xy9',
      rolesClaim: 'custom:roles',
      operatorRoles: ['operators'],
      cognito: { clientIds: ['client1'], tokenUses: ['access', 'id'] },
    });
  });

  it('refuses bad Cognito settings and settings that would mix another issuer into a pool, naming each', () => {
    const bad = (env: Record<string, string>, message: RegExp) => expect(() => loadConfig(env)).toThrow(message);
    const pool = { AUTH_COGNITO_USER_POOL: 'eu-west-1_AbC123xyz', AUTH_COGNITO_CLIENT_IDS: 'client1' };
    bad({ AUTH_COGNITO_USER_POOL: 'AbC123xyz', AUTH_COGNITO_CLIENT_IDS: 'client1' }, /AUTH_COGNITO_USER_POOL: must be a Cognito user pool id/);
    bad({ AUTH_COGNITO_USER_POOL: 'eu-west-1_AbC123xyz' }, /AUTH_COGNITO_CLIENT_IDS: is required with AUTH_COGNITO_USER_POOL/);
    bad({ ...pool, AUTH_COGNITO_CLIENT_IDS: 'client 1' }, /AUTH_COGNITO_CLIENT_IDS: must be app client ids/);
    bad({ ...pool, AUTH_COGNITO_TOKEN_USE: 'refresh' }, /AUTH_COGNITO_TOKEN_USE: must be a list of access, id/);
    bad({ AUTH_COGNITO_CLIENT_IDS: 'client1', AUTH_COGNITO_TOKEN_USE: 'id' }, /AUTH_COGNITO_CLIENT_IDS: needs AUTH_COGNITO_USER_POOL[\s\S]*AUTH_COGNITO_TOKEN_USE: needs AUTH_COGNITO_USER_POOL/);
    bad({ ...pool, AUTH_JWT_SECRET: 'x'.repeat(32) }, /AUTH_JWT_SECRET: not with AUTH_COGNITO_USER_POOL/);
    bad({ ...pool, AUTH_JWKS_URL: 'https://idp.example.com/jwks.json' }, /AUTH_JWKS_URL: not with AUTH_COGNITO_USER_POOL: its key set is https:\/\/cognito-idp/);
    bad({ ...pool, AUTH_ISSUER: 'https://idp.example.com' }, /AUTH_ISSUER: not with AUTH_COGNITO_USER_POOL/);
    bad({ ...pool, AUTH_AUDIENCE: 'client1' }, /AUTH_AUDIENCE: not with AUTH_COGNITO_USER_POOL/);
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
