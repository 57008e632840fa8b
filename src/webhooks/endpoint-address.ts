/**
 * Where a webhook endpoint's URL leads, checked against server-side request forgery: its host is
 * resolved (as the HTTP client would: the system resolver, /etc/hosts included) and every address
 * it resolves to must be public (src/domain/webhook-endpoints.ts says which are not), unless
 * private addresses are allowed (WEBHOOK_ALLOW_PRIVATE, local development and tests). The API
 * checks at registration; the sender checks again at each delivery and connects to the address
 * it checked, so a name that later resolves elsewhere (DNS rebinding) gains nothing.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { addressRefusal, endpointUrlRefusal, hostOf } from '../domain/webhook-endpoints.js';

export interface CheckedAddress {
  address: string;
  family: 4 | 6;
}

export type AddressCheck = { ok: true; address: CheckedAddress } | { ok: false; reason: string };

/** Resolves the URL's host and checks what it resolves to; the reason names the host and the address refused. */
export async function checkEndpointAddress(url: string, allowPrivate: boolean): Promise<AddressCheck> {
  const refusal = endpointUrlRefusal(url, allowPrivate);
  if (refusal) return { ok: false, reason: `the URL ${refusal}` };
  const host = hostOf(url);
  let addresses: CheckedAddress[];
  if (isIP(host)) {
    addresses = [{ address: host, family: isIP(host) as 4 | 6 }];
  } else {
    try {
      addresses = (await lookup(host, { all: true })).map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
    } catch (err) {
      return { ok: false, reason: `${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
    }
  }
  if (addresses.length === 0) return { ok: false, reason: `${host} does not resolve` };
  if (!allowPrivate) {
    // Every address, not only the first: a name with one public and one private record is refused.
    for (const { address } of addresses) {
      const refused = addressRefusal(address);
      if (refused) return { ok: false, reason: `${isIP(host) ? '' : `${host} resolves to `}${refused}; only public addresses are allowed` };
    }
  }
  return { ok: true, address: addresses[0]! };
}

/** The API's check at registration: why the URL may not be an endpoint, or null. */
export function createEndpointUrlCheck(allowPrivate: boolean): (url: string) => Promise<string | null> {
  return async (url) => {
    const checked = await checkEndpointAddress(url, allowPrivate);
    return checked.ok ? null : checked.reason;
  };
}
