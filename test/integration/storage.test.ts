/**
 * Links that open, against a real S3-compatible server (moto, started by this file): presigned
 * GETs download the object, upload URLs take a PUT, https links pass through, and a link that
 * cannot be signed is shown as stored without failing the read.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/env.js';
import { openStorage } from '../../src/storage/index.js';
import { uploadKey } from '../../src/storage/upload-link.js';
import { startS3Server, type S3Server } from '../support/s3-server.js';

let s3: S3Server;
let bucket: string;

beforeAll(async () => {
  s3 = await startS3Server();
  bucket = await s3.createBucket();
});
afterAll(async () => {
  await s3?.stop();
});

const storageSettings = (env: Record<string, string> = {}) => loadConfig({ ...s3.env, ...env }).storage;

/** A logger whose lines the test reads. */
function capturedLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('the S3 link opener', () => {
  it('turns s3://bucket/key into a presigned URL that downloads the object', async () => {
    const bytes = Buffer.from(`frames of ${bucket}: ${'x'.repeat(1_000)}`);
    await s3.putObject(bucket, 'images/vid-1.zip', bytes);
    const storage = openStorage(storageSettings(), capturedLogger().logger, { credentials: s3.credentials });
    const before = Date.now();
    const link = await storage.openLink(`s3://${bucket}/images/vid-1.zip`);

    expect(link.url.startsWith(`${s3.endpoint}/${bucket}/images/vid-1.zip?`)).toBe(true);
    expect(new URL(link.url).searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    const expiresAt = Date.parse(link.expiresAt!);
    expect(expiresAt - before).toBeGreaterThanOrEqual(0.75 * 15 * 60_000 - 1_000);
    expect(expiresAt - before).toBeLessThanOrEqual(15 * 60_000);

    const res = await fetch(link.url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);
    storage.close();
  });

  it('links to an object that is not there answer 404 (the link names that key)', async () => {
    const storage = openStorage(storageSettings(), capturedLogger().logger, { credentials: s3.credentials });
    const link = await storage.openLink(`s3://${bucket}/images/missing.zip`);
    expect((await fetch(link.url)).status).toBe(404);
    storage.close();
  });

  it('passes https links (and anything not s3://) through unchanged, without expiry', async () => {
    const storage = openStorage(storageSettings(), capturedLogger().logger, { credentials: s3.credentials });
    for (const url of ['https://cdn.example.com/images/vid-1.zip?token=abc', 's3://bucket-without-key']) {
      expect(await storage.openLink(url)).toEqual({ url, expiresAt: null });
    }
    storage.close();
  });

  it('without S3 configured, shows s3:// links as stored and offers no uploads', async () => {
    const { logger, lines } = capturedLogger();
    const storage = openStorage(loadConfig({}).storage, logger);
    expect(await storage.openLink('s3://images/vid-1.zip')).toEqual({ url: 's3://images/vid-1.zip', expiresAt: null });
    expect(storage.uploadLink).toBeUndefined();
    expect(lines.map((l) => l.msg)).toEqual([expect.stringMatching(/no S3 configured/)]);
  });

  it('without credentials, shows links as stored, says so once, waits before trying again, and recovers', async () => {
    const { logger, lines } = capturedLogger();
    let clock = Date.parse('2026-11-29T10:00:00Z');
    let asked = 0;
    let haveCredentials = false;
    // Stands in for the SDK's default chain finding nothing (no environment, no web identity, no instance role).
    const credentials = () => {
      asked += 1;
      if (!haveCredentials) return Promise.reject(new Error('Could not load credentials from any providers'));
      return Promise.resolve(s3.credentials);
    };
    const storage = openStorage(storageSettings({ UPLOAD_BUCKET: bucket }), logger, { credentials, now: () => clock, retryAfterMs: 30_000 });
    const stored = `s3://${bucket}/images/vid-1.zip`;

    expect(await storage.openLink(stored)).toEqual({ url: stored, expiresAt: null });
    expect(await storage.openLink(stored)).toEqual({ url: stored, expiresAt: null });
    expect(await storage.uploadLink!('vid-1')).toBeUndefined();
    expect(asked).toBe(1); // not asked again within retryAfterMs
    expect(lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([expect.stringMatching(/no AWS credentials/)]);

    haveCredentials = true;
    clock += 30_000;
    const link = await storage.openLink(stored);
    expect(link.url.startsWith(`${s3.endpoint}/${bucket}/images/vid-1.zip?`)).toBe(true);
    expect(link.expiresAt).not.toBeNull();
    expect(lines.map((l) => l.msg)).toContain('presigning works again');
    expect(lines.filter((l) => l.level >= 50)).toHaveLength(1);
    storage.close();
  });
});

describe('direct upload', () => {
  it('gives a presigned PUT URL for uploads/<videoId> that takes the file, which is then in the bucket', async () => {
    const storage = openStorage(storageSettings({ UPLOAD_BUCKET: bucket }), capturedLogger().logger, { credentials: s3.credentials });
    const upload = await storage.uploadLink!('vid-up-1');
    expect(upload).toBeDefined();
    expect(upload!.url.startsWith(`${s3.endpoint}/${bucket}/uploads/vid-up-1?`)).toBe(true);

    const file = Buffer.from(`\x00\x00\x00\x18ftypmp42 a video of ${bucket}`);
    const res = await fetch(upload!.url, { method: 'PUT', body: file, headers: { 'Content-Type': 'video/mp4' } });
    expect(res.status).toBe(200);
    expect(await s3.getObject(bucket, uploadKey('vid-up-1'))).toEqual(file);
    storage.close();
  });

  it('offers no upload URL without UPLOAD_BUCKET', () => {
    const storage = openStorage(storageSettings(), capturedLogger().logger, { credentials: s3.credentials });
    expect(storage.uploadLink).toBeUndefined();
    storage.close();
  });
});
