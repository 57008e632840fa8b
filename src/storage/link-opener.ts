/**
 * The LinkOpener (src/domain/public-video.ts) over S3: an `s3://bucket/key` link becomes a
 * presigned HTTPS GET URL with its expiry; anything else (an `https://` link) passes through
 * unchanged, without expiry. A link that cannot be signed is shown as stored (safe-presigner.ts).
 */
import { linksAsStored, type LinkOpener } from '../domain/public-video.js';
import { parseS3Url } from './s3-location.js';
import type { SafePresigner } from './safe-presigner.js';

export function s3LinkOpener(presigner: SafePresigner): LinkOpener {
  return async (url) => {
    const location = parseS3Url(url);
    const presigned = location && (await presigner.get(location));
    return presigned ?? linksAsStored(url);
  };
}
