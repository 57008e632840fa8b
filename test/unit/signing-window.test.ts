import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { signingWindow } from '../../src/storage/signing-window.js';

const MINUTE = 60_000;

describe('the signing window of presigned links', () => {
  it('signs every request of a window at its start: the same link for a quarter of the TTL', () => {
    const ttl = 15 * MINUTE;
    const start = Date.parse('2026-11-29T10:00:00Z'); // a window boundary (225 s steps from the epoch)
    const first = signingWindow(start, ttl);
    expect(first.signedAt.toISOString()).toBe('2026-11-29T10:00:00.000Z');
    expect(first.expiresAt.toISOString()).toBe('2026-11-29T10:15:00.000Z');
    expect(first.expiresInSeconds).toBe(900);
    expect(signingWindow(start + 224_999, ttl)).toEqual(first);
    const next = signingWindow(start + 225_000, ttl);
    expect(next.signedAt.toISOString()).toBe('2026-11-29T10:03:45.000Z');
    expect(next.expiresAt.toISOString()).toBe('2026-11-29T10:18:45.000Z');
  });

  it('hands out links that work for at least 3/4 of the TTL and at most the TTL, signed in whole seconds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: 4, max: 604_800 }).map((s) => s * 1_000),
        (now, ttl) => {
          const w = signingWindow(now, ttl);
          const left = w.expiresAt.getTime() - now;
          expect(w.signedAt.getTime()).toBeLessThanOrEqual(now);
          expect(w.signedAt.getTime() % 1_000).toBe(0); // X-Amz-Date has whole seconds
          expect(w.expiresAt.getTime() - w.signedAt.getTime()).toBe(ttl);
          expect(w.expiresInSeconds * 1_000).toBe(ttl);
          expect(left).toBeGreaterThanOrEqual(ttl * 0.75);
          expect(left).toBeLessThanOrEqual(ttl);
        },
      ),
    );
  });

  it('gives the same window to every moment in it, and a later one after it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000_000 }), fc.integer({ min: 0, max: 10 * MINUTE }), (now, later) => {
        const ttl = 15 * MINUTE;
        const a = signingWindow(now, ttl);
        const b = signingWindow(now + later, ttl);
        if (now + later < a.signedAt.getTime() + ttl / 4) expect(b).toEqual(a);
        else expect(b.signedAt.getTime()).toBeGreaterThan(a.signedAt.getTime());
      }),
    );
  });

  it('uses one-second windows for TTLs under 4 s (X-Amz-Date has no finer grain)', () => {
    const w = signingWindow(Date.parse('2026-11-29T10:00:00.600Z'), 1_000);
    expect(w.signedAt.toISOString()).toBe('2026-11-29T10:00:00.000Z');
    expect(w.expiresAt.toISOString()).toBe('2026-11-29T10:00:01.000Z');
  });
});
