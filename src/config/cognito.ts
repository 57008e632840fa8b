/**
 * Amazon Cognito user pools: what a pool id says about its tokens. A pool's tokens are issued by
 * `https://cognito-idp.<region>.amazonaws.com/<poolId>` (the region is the pool id's prefix) and
 * signed with the keys at `<issuer>/.well-known/jwks.json`; its groups are the `cognito:groups`
 * claim. The API checks the rest of a token (src/api/lib/cognito-claims.ts).
 */

/** A user pool id: `<region>_<id>`, like `eu-west-1_AbC123xyz`. */
export const COGNITO_USER_POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d+)_[0-9A-Za-z]+$/;

/** An app client id (Cognito's own pattern, at most 128 characters). */
export const COGNITO_CLIENT_ID = /^[\w+]{1,128}$/;

/** The kinds of token a pool issues that may be sent to an API (`token_use`); its refresh tokens are encrypted, for the pool alone. */
export const COGNITO_TOKEN_USES = ['access', 'id'] as const;
export type CognitoTokenUse = (typeof COGNITO_TOKEN_USES)[number];

export function isCognitoTokenUse(value: string): value is CognitoTokenUse {
  return (COGNITO_TOKEN_USES as readonly string[]).includes(value);
}

/** The claim a pool lists a user's groups in (an array of strings; absent for a user in no group). */
export const COGNITO_GROUPS_CLAIM = 'cognito:groups';

/** The `iss` of the pool's tokens; the pool id must match COGNITO_USER_POOL_ID. */
export function cognitoIssuer(userPoolId: string): string {
  const region = COGNITO_USER_POOL_ID.exec(userPoolId)?.[1];
  if (region === undefined) throw new Error(`not a Cognito user pool id: ${userPoolId}`);
  return `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
}

/** Where the pool publishes the keys its tokens are signed with. */
export function cognitoJwksUrl(issuer: string): string {
  return `${issuer}/.well-known/jwks.json`;
}
