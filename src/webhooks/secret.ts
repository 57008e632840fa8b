/** A new signing secret in Standard Webhooks' format (`whsec_` and the base64 of random bytes). */
import { randomBytes } from 'node:crypto';
import { SECRET_BYTES, SECRET_PREFIX } from '../domain/webhook-endpoints.js';

export const newSigningSecret = (): string => `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
