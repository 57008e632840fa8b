import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { newVideo, toView, type VideoView } from '../../src/domain/video.js';
import {
  addressRefusal,
  endpointUrlRefusal,
  healthAfterAttempt,
  rotatedSecret,
  signingSecrets,
  type EndpointHealth,
  type WebhookEndpoint,
} from '../../src/domain/webhook-endpoints.js';
import { nextAttemptAt, webhookEventTypes, type DeliveryPolicy } from '../../src/domain/webhook-events.js';

const T0 = '2026-03-01T10:00:00.000Z';
const view = (patch: Partial<VideoView> = {}): VideoView => ({ ...toView(newVideo('v1', T0)), userId: 'alice', version: 1, ...patch });

describe('the event types a change raises', () => {
  it.each<[string, Partial<VideoView>, Partial<VideoView>, string[]]>([
    ['registration (the owner is known)', { userId: null }, { userId: 'alice' }, ['video.created']],
    ['processing started', {}, { status: 'processing', progress: 0 }, ['video.processing']],
    ['progress while processing', { status: 'processing', progress: 10 }, { status: 'processing', progress: 20 }, ['video.progress']],
    ['progress that moves an uploaded video to processing', {}, { status: 'processing', progress: 30 }, ['video.processing']],
    ['completion', { status: 'processing', progress: 90 }, { status: 'completed', progress: 100, imagesUrl: 'https://x/y.zip' }, ['video.completed']],
    ['failure', { status: 'processing' }, { status: 'failed', error: { code: 'E', message: 'm' } }, ['video.failed']],
    ['a stall', { status: 'processing' }, { status: 'processing', stalled: true, stalledSince: T0 }, ['video.stalled']],
    ['a recovery', { stalled: true, stalledSince: T0 }, { status: 'processing', stalled: false, stalledSince: null }, ['video.recovered', 'video.processing']],
    ['a completion that ends a stall', { status: 'processing', stalled: true }, { status: 'completed', stalled: false }, ['video.recovered', 'video.completed']],
    ['a timeout (a stall ended by failing: no recovery)', { status: 'processing', stalled: true }, { status: 'failed', stalled: false, error: { code: 'TIMED_OUT', message: 'm' } }, ['video.failed']],
    ['an ignored event (only the version moved)', { status: 'processing', progress: 50 }, { status: 'processing', progress: 50, version: 9 }, []],
  ])('%s', (_, before, after, expected) => {
    expect(webhookEventTypes(view(before), view({ ...before, ...after }))).toEqual(expected);
  });

  it('nothing for a video without an owner (webhooks belong to users)', () => {
    expect(webhookEventTypes(view({ userId: null }), view({ userId: null, status: 'completed' }))).toEqual([]);
  });
});

describe('the retry schedule', () => {
  const policy: DeliveryPolicy = { retryInitialMs: 30_000, retryMaxIntervalMs: 4 * 3_600_000, retryForMs: 24 * 3_600_000 };
  const schedule = (random: () => number) => {
    const attempts = [0];
    for (let attempt = 1; ; attempt++) {
      const next = nextAttemptAt(policy, 0, attempts.at(-1)!, attempt, random());
      if (next === null) return attempts;
      attempts.push(next);
    }
  };

  it('backs off exponentially from 30s, capped at 4h, and attempts last exactly 24h after the first', () => {
    const attempts = schedule(() => 0.5); // no jitter
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(gaps.slice(0, 4)).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(Math.max(...gaps)).toBe(4 * 3_600_000);
    expect(attempts.at(-1)).toBe(24 * 3_600_000);
    expect(attempts).toHaveLength(15);
  });

  it('jitters every delay within ±20%, never past the end, always forward', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 40, maxLength: 40 }), (randoms) => {
        let i = 0;
        const attempts = schedule(() => randoms[i++ % randoms.length]!);
        expect(attempts.at(-1)).toBe(24 * 3_600_000);
        for (let n = 1; n < attempts.length - 1; n++) {
          const exponential = Math.min(policy.retryMaxIntervalMs, policy.retryInitialMs * 2 ** (n - 1));
          const gap = attempts[n]! - attempts[n - 1]!;
          expect(gap).toBeGreaterThanOrEqual(Math.floor(exponential * 0.8));
          expect(gap).toBeLessThanOrEqual(Math.ceil(exponential * 1.2));
        }
      }),
    );
  });
});

describe('endpoint URLs', () => {
  it.each([
    ['https://example.com/hook', false, null],
    ['http://example.com/hook', false, 'must be an https URL'],
    ['http://127.0.0.1:8080/hook', true, null],
    ['ftp://example.com/', true, 'must be an http(s) URL'],
    ['not a url', false, 'is not an absolute URL'],
    ['https://user:pw@example.com/', false, 'must not carry credentials (user:password@)'],
    ['https://example.com/#x', false, 'must not have a fragment (#...)'],
    [`https://example.com/${'a'.repeat(2100)}`, false, 'is longer than 2048 characters'],
  ])('%s (private allowed: %s)', (url, allowPrivate, refusal) => {
    expect(endpointUrlRefusal(url, allowPrivate)).toBe(refusal);
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['192.0.2.1', 'reserved'],
    ['::1', 'loopback'],
    ['fe80::1', 'linkLocal'],
    ['fd00::1', 'uniqueLocal'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['2002:a00:1::', '6to4'],
  ])('refuses %s (%s)', (address, range) => {
    expect(addressRefusal(address)).toMatch(new RegExp(`is a ${range} address$`));
  });

  it.each(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c', '::ffff:93.184.215.14'])('accepts the public address %s', (address) => {
    expect(addressRefusal(address)).toBeNull();
  });
});

describe("an endpoint's health", () => {
  const healthy: EndpointHealth = { disabled: false, disabledReason: null, disabledAt: null, lastSuccessAt: null, failingSince: null };
  const DAY = 86_400_000;
  const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

  it('is disabled once every attempt failed for longer than the limit, with the reason; a success before that clears it', () => {
    const failing = healthAfterAttempt(healthy, false, 'answered 500', at(0), 3 * DAY);
    expect(failing).toMatchObject({ disabled: false, failingSince: at(0) });
    expect(healthAfterAttempt(failing, false, 'answered 500', at(3 * DAY), 3 * DAY)).toMatchObject({ disabled: false, failingSince: at(0) });
    expect(healthAfterAttempt(failing, true, null, at(2 * DAY), 3 * DAY)).toEqual({ ...healthy, lastSuccessAt: at(2 * DAY) });
    const disabled = healthAfterAttempt(failing, false, 'connect ECONNREFUSED', at(3 * DAY + 1), 3 * DAY);
    expect(disabled).toMatchObject({ disabled: true, disabledAt: at(3 * DAY + 1), failingSince: at(0) });
    expect(disabled.disabledReason).toBe(`every delivery failed for more than 3d (since ${at(0)}); last error: connect ECONNREFUSED`);
  });

  it('signs with the previous secret too for a day after a rotation', () => {
    const endpoint = { secret: 'whsec_old', previousSecret: null, previousSecretExpiresAt: null } as WebhookEndpoint;
    const rotated = rotatedSecret(endpoint, 'whsec_new', at(0));
    expect(signingSecrets(rotated, at(DAY - 1))).toEqual(['whsec_new', 'whsec_old']);
    expect(signingSecrets(rotated, at(DAY))).toEqual(['whsec_new']);
  });
});
