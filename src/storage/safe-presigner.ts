/**
 * Presigning that never fails a request: what the API and the webhooks use. A link that cannot be
 * signed (no credentials, the SDK refusing) is `undefined`, and the caller shows what it has.
 *
 * The problem is logged once, when it starts, and once more when signing works again (not on
 * every read). After a credentials failure nothing is tried for `retryAfterMs`: without
 * credentials the SDK's default chain ends at the instance metadata service, which can take a
 * second or more to say no, and every read would wait for it.
 */
import type { Logger } from '../logger.js';
import type { Presigner, PresignedLink } from './presigner.js';
import type { S3Location } from './s3-location.js';

export interface SafePresigner {
  get(location: S3Location): Promise<PresignedLink | undefined>;
  put(location: S3Location): Promise<PresignedLink | undefined>;
}

export interface SafePresignerOptions {
  /** How long to skip signing after the credentials could not be found. */
  retryAfterMs?: number;
  now?: () => number;
}

export function safePresigner(presigner: Presigner, logger: Logger, { retryAfterMs = 30_000, now = Date.now }: SafePresignerOptions = {}): SafePresigner {
  let failing = false;
  let retryAt = 0;

  const fail = (err: unknown, msg: string) => {
    if (!failing) logger.error({ err }, `${msg}; s3:// links are shown as stored and uploads get no URL until it works`);
    failing = true;
  };

  const attempt = async (sign: () => Promise<PresignedLink>): Promise<PresignedLink | undefined> => {
    if (now() < retryAt) return undefined;
    try {
      await presigner.checkCredentials();
    } catch (err) {
      retryAt = now() + retryAfterMs;
      fail(err, 'no AWS credentials to presign with');
      return undefined;
    }
    try {
      const link = await sign();
      if (failing) logger.info('presigning works again');
      failing = false;
      return link;
    } catch (err) {
      fail(err, 'could not presign');
      return undefined;
    }
  };

  return {
    get: (location) => attempt(() => presigner.get(location)),
    put: (location) => attempt(() => presigner.put(location)),
  };
}
