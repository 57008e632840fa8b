/**
 * Presigning is computation (SigV4 over the request and the signing time): these tests need no
 * server. What they pin down is what S3 checks: X-Amz-Date + X-Amz-Expires is when a link stops
 * working (S3 answers 403 "Request has expired" after it), and that is the expiresAt we hand out.
 * (moto, the tests' S3 server, checks neither: see test/support/s3-server.ts.)
 */
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/env.js';
import { createPresigner } from '../../src/storage/presigner.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const settings = (env: Record<string, string> = {}) => loadConfig({ AWS_REGION: 'eu-west-1', ...env }).storage;
const at = (iso: string) => () => Date.parse(iso);
const params = (url: string) => Object.fromEntries(new URL(url).searchParams);
/** When S3 stops honouring the link: X-Amz-Date + X-Amz-Expires. */
const expiryS3Enforces = (url: string) => {
  const { 'X-Amz-Date': date, 'X-Amz-Expires': expires } = params(url);
  const [, y, mo, d, h, mi, s] = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(date!)!;
  return new Date(Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`) + Number(expires) * 1_000).toISOString();
};

describe('presigned links', () => {
  it('GET: an HTTPS URL of the object on AWS S3, expiring when we say it does', async () => {
    const presigner = createPresigner(settings(), { credentials, now: at('2026-11-29T10:05:00Z') });
    const link = await presigner.get({ bucket: 'vidproc-media', key: 'images/vid-1.zip' });
    const url = new URL(link.url);
    expect(url.origin).toBe('https://vidproc-media.s3.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/images/vid-1.zip');
    expect(params(link.url)).toMatchObject({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Date': '20261129T100345Z', // the start of the 225 s window 10:05 is in
      'X-Amz-Expires': '900',
      'X-Amz-SignedHeaders': 'host',
    });
    expect(link.expiresAt).toBe('2026-11-29T10:18:45.000Z');
    expect(expiryS3Enforces(link.url)).toBe(link.expiresAt);
    expect(link.url).not.toMatch(/checksum/i);
    presigner.close();
  });

  it('is the same URL all through a window, and a new one in the next', async () => {
    let clock = Date.parse('2026-11-29T10:03:45Z');
    const presigner = createPresigner(settings(), { credentials, now: () => clock });
    const urlAt = async (iso: string) => {
      clock = Date.parse(iso);
      return (await presigner.get({ bucket: 'vidproc-media', key: 'a.zip' })).url;
    };
    const first = await urlAt('2026-11-29T10:03:45Z');
    expect(await urlAt('2026-11-29T10:07:29.999Z')).toBe(first);
    const next = await urlAt('2026-11-29T10:07:30Z');
    expect(next).not.toBe(first);
    expect(params(next)['X-Amz-Date']).toBe('20261129T100730Z');
    presigner.close();
  });

  it('signs anew within a window when the credentials change (refreshed temporary credentials)', async () => {
    let current = credentials;
    // Credentials that expire within 5 minutes: the SDK asks for fresh ones on every use.
    const provider = () => Promise.resolve({ ...current, expiration: new Date(Date.now() + 60_000) });
    const presigner = createPresigner(settings(), { credentials: provider, now: at('2026-11-29T10:00:00Z') });
    const link = () => presigner.get({ bucket: 'vidproc-media', key: 'a.zip' });
    expect(params((await link()).url)['X-Amz-Credential']).toMatch(/^AKIDEXAMPLE\//);
    current = { accessKeyId: 'ASIAREFRESHED', secretAccessKey: 'another' };
    expect(params((await link()).url)['X-Amz-Credential']).toMatch(/^ASIAREFRESHED\//);
    presigner.close();
  });

  it('keeps the key literally (as the AWS tools do) and encodes it in the URL', async () => {
    const presigner = createPresigner(settings(), { credentials, now: at('2026-11-29T10:00:00Z') });
    const link = await presigner.get({ bucket: 'vidproc-media', key: 'a b/ü+1.zip' });
    expect(new URL(link.url).pathname).toBe('/a%20b/%C3%BC%2B1.zip');
    presigner.close();
  });

  it('PUT: an upload URL without a checksum of an empty body and without a content type to match', async () => {
    const presigner = createPresigner(settings({ IMAGES_URL_TTL: '10m' }), { credentials, now: at('2026-11-29T10:00:00Z') });
    const link = await presigner.put({ bucket: 'vidproc-media', key: 'uploads/vid-1' });
    const p = params(link.url);
    expect(p['x-id']).toBe('PutObject');
    expect(p['X-Amz-SignedHeaders']).toBe('host');
    expect(Object.keys(p).filter((k) => /checksum/i.test(k))).toEqual([]);
    expect(link.expiresAt).toBe('2026-11-29T10:10:00.000Z');
    expect(expiryS3Enforces(link.url)).toBe(link.expiresAt);
    presigner.close();
  });

  it('addresses an S3-compatible endpoint path-style when asked', async () => {
    const presigner = createPresigner(settings({ S3_ENDPOINT: 'http://127.0.0.1:9000', S3_FORCE_PATH_STYLE: 'true' }), {
      credentials,
      now: at('2026-11-29T10:00:00Z'),
    });
    const link = await presigner.get({ bucket: 'vidproc-media', key: 'x.zip' });
    expect(link.url.startsWith('http://127.0.0.1:9000/vidproc-media/x.zip?')).toBe(true);
    presigner.close();
  });
});
