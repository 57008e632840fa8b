/**
 * What makes a verified Cognito user-pool token one for this API: its `token_use` is one the API
 * accepts, and it was issued to one of the API's app clients. An access token names its client in
 * `client_id` and has no `aud`; an ID token names it in `aud`. (Signature, issuer and expiry are
 * checked before, by jose.)
 */
import type { JWTPayload } from 'jose';
import type { CognitoTokenUse } from '../../config/cognito.js';

export interface CognitoTokenRules {
  /** The app clients whose tokens are accepted. */
  clientIds: readonly string[];
  /** The kinds of token accepted (`access`, and `id` only when configured). */
  tokenUses: readonly CognitoTokenUse[];
}

/** Why the token is refused, or null. */
export function cognitoRefusal(payload: JWTPayload, rules: CognitoTokenRules): string | null {
  const use = payload.token_use;
  if (typeof use !== 'string') return 'token has no token_use';
  if (!(rules.tokenUses as readonly string[]).includes(use)) return `token_use ${use} is not accepted (accepted: ${rules.tokenUses.join(', ')})`;
  // Each kind names its client in its own claim; the other one is not looked at, so an access
  // token cannot pass on an `aud` (nor an ID token on a `client_id`).
  const claim = use === 'access' ? 'client_id' : 'aud';
  const client = payload[claim];
  if (typeof client !== 'string') return `token has no ${claim}`;
  if (!rules.clientIds.includes(client)) return `token ${claim} is not an accepted app client`;
  return null;
}
