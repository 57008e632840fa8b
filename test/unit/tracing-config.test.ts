/** Tracing is configured by the standard OTEL_* variables only, and is off unless they ask for it. */
import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../src/config/env.js';
import { createLogger } from '../../src/logger.js';
import { activeTracing, startTracing, tracesEndpoint } from '../../src/tracing/setup.js';

const logger = createLogger('silent');

describe('tracing configuration', () => {
  it('is off without an OTLP endpoint, or when the SDK or the traces exporter is switched off', async () => {
    expect(tracesEndpoint({})).toBeUndefined();
    expect(tracesEndpoint({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBeUndefined();
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
    await expect(startTracing('api', logger, {})).resolves.toBeUndefined();
    expect(activeTracing()).toBeUndefined();
  });

  it('sends traces to <endpoint>/v1/traces, or to the traces endpoint as given', () => {
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe('http://collector:4318/v1/traces');
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/traces' })).toBe('http://b:4318/traces');
  });

  it('refuses what it cannot do, as a configuration error', async () => {
    expect(() => tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(ConfigError);
    await expect(startTracing('api', logger, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).rejects.toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL: must be http\/protobuf or http\/json, not grpc/,
    );
    expect(activeTracing()).toBeUndefined();
  });
});
