import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/env.js';

describe('metrics configuration', () => {
  it('serves metrics on 0.0.0.0:9464 by default; a port, 0 (a free one) or off', () => {
    expect(loadConfig({}).metrics).toEqual({ enabled: true, host: '0.0.0.0', port: 9464 });
    expect(loadConfig({ METRICS_PORT: '9100', METRICS_HOST: '127.0.0.1' }).metrics).toEqual({ enabled: true, host: '127.0.0.1', port: 9100 });
    expect(loadConfig({ METRICS_PORT: '0' }).metrics).toMatchObject({ enabled: true, port: 0 });
    expect(loadConfig({ METRICS_PORT: 'off' }).metrics).toMatchObject({ enabled: false });
  });

  it('refuses a port that is not one', () => {
    expect(() => loadConfig({ METRICS_PORT: 'none' })).toThrow(/METRICS_PORT/);
    expect(() => loadConfig({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
  });
});
