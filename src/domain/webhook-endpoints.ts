/**
 * Users' webhook endpoints, as pure rules: what URL may be one (https only, never a private,
 * loopback, link-local or other special-purpose address, unless private addresses are allowed
 * for local development), the limits, the secret's format, and the endpoint's health: when one
 * that keeps failing is disabled. Resolving a host name is I/O: src/webhooks does it and asks
 * `addressRefusal` about each address.
 */
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { formatDuration } from './duration.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook-events.js';

export const WEBHOOK_LIMITS = {
  url: 2048,
  /** Endpoints one user may have. */
  endpointsPerUser: 20,
  disabledReason: 1000,
} as const;

/** Standard Webhooks' secret format: `whsec_` and the base64 of the key (24 random bytes here). */
export const SECRET_PREFIX = 'whsec_';
export const SECRET_BYTES = 24;
/** After a rotation, deliveries are signed with the old secret too for this long (receivers switch over). */
export const SECRET_ROTATION_GRACE_MS = 24 * 3_600_000;

/** No event type twice (the API documents it as `uniqueItems`). */
export const distinctEventTypes = (types: readonly string[]) => new Set(types).size === types.length;

export const webhookEventTypesSchema = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1)
  .refine(distinctEventTypes, 'must not repeat an event type');

/** Why `url` cannot be a webhook endpoint by its text alone (scheme, form), or null. */
export function endpointUrlRefusal(url: string, allowPrivate: boolean): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.length > WEBHOOK_LIMITS.url) return `is longer than ${WEBHOOK_LIMITS.url} characters`;
  const schemes = allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(parsed.protocol)) return allowPrivate ? 'must be an http(s) URL' : 'must be an https URL';
  if (parsed.username || parsed.password) return 'must not carry credentials (user:password@)';
  if (parsed.hash) return 'must not have a fragment (#...)';
  return null;
}

/** The host to resolve (brackets of an IPv6 literal removed). */
export const hostOf = (url: string): string => new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Why vidproc must not connect to this address, or null for a public unicast one. Refuses every
 * range ipaddr.js knows as special-purpose (private, loopback, link-local, unique local,
 * carrier-grade NAT, multicast, reserved, documentation, NAT64 and 6to4 embeddings of IPv4...);
 * an IPv4-mapped IPv6 address is judged as the IPv4 address it is.
 */
export function addressRefusal(address: string): string | null {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  const ip = ipaddr.process(address);
  const range = ip.range();
  return range === 'unicast' ? null : `${address} is a ${range} address`;
}

/** An endpoint's health and whether it is disabled. Times are RFC 3339. */
export interface EndpointHealth {
  disabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  lastSuccessAt: string | null;
  /** Since when every attempt failed (null after a success). */
  failingSince: string | null;
}

/**
 * The endpoint's health after an attempt at `at`: a success clears the failure; a failure starts
 * or continues it, and one that has lasted longer than `disableAfterMs` disables the endpoint,
 * with the reason its owner sees.
 */
export function healthAfterAttempt(health: EndpointHealth, ok: boolean, error: string | null, at: string, disableAfterMs: number): EndpointHealth {
  if (ok) return { ...health, lastSuccessAt: at, failingSince: null };
  const failingSince = health.failingSince ?? at;
  if (health.disabled || Date.parse(at) - Date.parse(failingSince) <= disableAfterMs) return { ...health, failingSince };
  const reason = `every delivery failed for more than ${formatDuration(disableAfterMs)} (since ${failingSince}); last error: ${error ?? 'unknown'}`;
  return { ...health, failingSince, disabled: true, disabledAt: at, disabledReason: reason.slice(0, WEBHOOK_LIMITS.disabledReason) };
}

/** An endpoint enabled again by its owner: healthy until it fails again. */
export const enabledHealth = (health: EndpointHealth): EndpointHealth => ({
  ...health,
  disabled: false,
  disabledReason: null,
  disabledAt: null,
  failingSince: null,
});

/** Does this endpoint want this event type? */
export const subscribes = (endpoint: { events: readonly string[] }, type: WebhookEventType): boolean => endpoint.events.includes(type);

/** A user's endpoint as stored: where to POST which events, the signing secrets, its health. */
export interface WebhookEndpoint extends EndpointHealth {
  id: string;
  userId: string;
  url: string;
  events: WebhookEventType[];
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: string | null;
  createdAt: string;
}

/** The secrets that sign a delivery at `now`: the current one, and the previous one during its grace. */
export function signingSecrets(endpoint: Pick<WebhookEndpoint, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>, now: string): string[] {
  const previousValid =
    endpoint.previousSecret !== null && endpoint.previousSecretExpiresAt !== null && Date.parse(endpoint.previousSecretExpiresAt) > Date.parse(now);
  return previousValid ? [endpoint.secret, endpoint.previousSecret!] : [endpoint.secret];
}

/** The endpoint with a new secret; the old one keeps signing for SECRET_ROTATION_GRACE_MS. */
export function rotatedSecret(endpoint: WebhookEndpoint, secret: string, now: string): WebhookEndpoint {
  const expiresAt = new Date(Date.parse(now) + SECRET_ROTATION_GRACE_MS).toISOString();
  return { ...endpoint, secret, previousSecret: endpoint.secret, previousSecretExpiresAt: expiresAt };
}
