import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../src/config/env.js';

const messageOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the configuration was accepted');
};

describe('storage configuration (S3_ENDPOINT, S3_FORCE_PATH_STYLE, AWS_REGION, IMAGES_URL_TTL, UPLOAD_BUCKET)', () => {
  it('is off by default: links shown as stored, 15-minute presigned links once on, no uploads', () => {
    expect(loadConfig({}).storage).toEqual({
      enabled: false,
      region: 'us-east-1',
      endpoint: undefined,
      forcePathStyle: false,
      linkTtlMs: 15 * 60_000,
      uploadBucket: undefined,
    });
  });

  it('is on with a region (AWS S3) or an endpoint (an S3-compatible server)', () => {
    expect(loadConfig({ AWS_REGION: 'eu-west-1', IMAGES_URL_TTL: '1h', UPLOAD_BUCKET: 'vidproc-media-1' }).storage).toEqual({
      enabled: true,
      region: 'eu-west-1',
      endpoint: undefined,
      forcePathStyle: false,
      linkTtlMs: 3_600_000,
      uploadBucket: 'vidproc-media-1',
    });
    expect(loadConfig({ S3_ENDPOINT: 'http://127.0.0.1:9000', S3_FORCE_PATH_STYLE: 'true' }).storage).toMatchObject({
      enabled: true,
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
    });
  });

  it.each([
    ['S3_ENDPOINT', { S3_ENDPOINT: 'ftp://files.example.com' }, /http\(s\) URL/],
    ['S3_FORCE_PATH_STYLE', { S3_FORCE_PATH_STYLE: 'yes' }, /S3_FORCE_PATH_STYLE/],
    ['IMAGES_URL_TTL', { IMAGES_URL_TTL: 'soon' }, /not a duration/],
    ['IMAGES_URL_TTL', { IMAGES_URL_TTL: '8d' }, /from 1s to 7d/],
    ['IMAGES_URL_TTL', { IMAGES_URL_TTL: '500ms' }, /from 1s to 7d/],
    ['IMAGES_URL_TTL', { IMAGES_URL_TTL: '1.5s' }, /whole seconds/],
    ['UPLOAD_BUCKET', { AWS_REGION: 'eu-west-1', UPLOAD_BUCKET: 'My_Bucket' }, /S3 bucket name/],
    ['UPLOAD_BUCKET', { UPLOAD_BUCKET: 'vidproc-media-1' }, /needs AWS_REGION/],
  ])('fails fast on a bad %s', (name, env, pattern) => {
    const message = messageOf(env);
    expect(message).toContain(name);
    expect(message).toMatch(pattern);
  });

  it('names every bad storage variable at once', () => {
    const message = messageOf({ S3_ENDPOINT: 'not a url', IMAGES_URL_TTL: '30d', UPLOAD_BUCKET: 'x' });
    for (const name of ['S3_ENDPOINT', 'IMAGES_URL_TTL', 'UPLOAD_BUCKET']) expect(message).toContain(name);
  });
});
