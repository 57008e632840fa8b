/**
 * Presigned S3 URLs (SigV4, the AWS SDK's presigner): GET for images, PUT for uploads, signed at
 * the start of the current window (signing-window.ts) so that a link is stable for a while.
 */
import { GetObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { StorageSettings } from '../config/env.js';
import type { S3Location } from './s3-location.js';
import { signingWindow } from './signing-window.js';

/** Links kept per window (a few MB at most). */
const CACHE_MAX = 10_000;

/** A presigned link: it always expires. */
export interface PresignedLink {
  url: string;
  expiresAt: string;
}

export interface Presigner {
  /** Resolves the credentials (the SDK's chain, memoized and refreshed); throws when there are none. */
  checkCredentials(): Promise<void>;
  get(location: S3Location): Promise<PresignedLink>;
  put(location: S3Location): Promise<PresignedLink>;
  close(): void;
}

export interface PresignerOptions {
  /** Credentials to sign with; default: the SDK's default chain (environment, IRSA web identity, ...). */
  credentials?: S3ClientConfig['credentials'];
  now?: () => number;
}

export function createPresigner(settings: StorageSettings, { credentials, now = Date.now }: PresignerOptions = {}): Presigner {
  const client = new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    credentials,
    // Otherwise the SDK puts a CRC32 of the *empty* body into a presigned PUT URL, and S3 then
    // refuses the upload of any real file (BadDigest); a GET URL would carry x-amz-checksum-mode.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  // A link is the same all through its window (that is the point of the window), so each is signed
  // once per window and credentials: a list, or one change sent to many streams, costs one signing
  // (~0.3 ms of CPU each) per link. Keyed by the access key too, so that refreshed credentials
  // (IRSA) sign anew. Emptied when the window moves on, and when it grows past its bound.
  const cache = new Map<string, PresignedLink>();
  let cachedWindow = Number.NaN;

  const sign = async (method: 'GET' | 'PUT', { bucket, key }: S3Location): Promise<PresignedLink> => {
    const window = signingWindow(now(), settings.linkTtlMs);
    const { accessKeyId } = await client.config.credentials();
    if (window.signedAt.getTime() !== cachedWindow || cache.size >= CACHE_MAX) {
      cache.clear();
      cachedWindow = window.signedAt.getTime();
    }
    const cacheKey = `${accessKeyId}\n${method}\n${bucket}\n${key}`;
    const cached = cache.get(cacheKey);
    if (cached) return cached;
    const command = method === 'GET' ? new GetObjectCommand({ Bucket: bucket, Key: key }) : new PutObjectCommand({ Bucket: bucket, Key: key });
    const url = await getSignedUrl(client, command, { signingDate: window.signedAt, expiresIn: window.expiresInSeconds });
    const link = { url, expiresAt: window.expiresAt.toISOString() };
    cache.set(cacheKey, link);
    return link;
  };

  return {
    checkCredentials: async () => {
      await client.config.credentials();
    },
    get: (location) => sign('GET', location),
    // No content type in the signature: a browser sends the file's own type, and a signed one
    // that differs would make S3 refuse the upload. The object keeps the type the client sends.
    put: (location) => sign('PUT', location),
    close: () => client.destroy(),
  };
}
