/**
 * When a presigned link is signed, and until when it works.
 *
 * Signing at "now" would give every request a new URL (a new X-Amz-Date, so a new signature): the
 * same video would never have the same body twice, and the API's ETag and HTTP caches would never
 * match. So links are signed at the start of the current window, a quarter of the TTL long: every
 * request in a window gets the same URL, and a link handed out still works for at least 3/4 of the
 * TTL. X-Amz-Date has whole seconds, so windows are whole seconds too (at least one).
 */

/** Windows per TTL: a link is handed out for a quarter of the TTL, so it has at least 3/4 of it left. */
export const WINDOWS_PER_TTL = 4;

export interface SigningWindow {
  /** The signing time (X-Amz-Date): the start of the window `now` is in. */
  signedAt: Date;
  /** signedAt + TTL: when S3 stops honouring the link. */
  expiresAt: Date;
  /** The TTL in seconds (X-Amz-Expires). */
  expiresInSeconds: number;
}

/** The window `nowMs` falls in, for links valid `ttlMs` (whole seconds, as configuration ensures). */
export function signingWindow(nowMs: number, ttlMs: number): SigningWindow {
  const stepMs = Math.max(1_000, Math.floor(ttlMs / WINDOWS_PER_TTL / 1_000) * 1_000);
  const signedAtMs = Math.floor(nowMs / stepMs) * stepMs;
  return {
    signedAt: new Date(signedAtMs),
    expiresAt: new Date(signedAtMs + ttlMs),
    expiresInSeconds: Math.round(ttlMs / 1_000),
  };
}
