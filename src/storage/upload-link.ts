/**
 * Direct upload: a presigned PUT URL for a video's file, into UPLOAD_BUCKET at `uploads/<videoId>`.
 *
 * The key is the video id alone: an id belongs to one user (registering another user's id is
 * refused), and ids are 1-128 characters of A-Za-z0-9._- (safe in a key and a URL). The user id is
 * not in the key: it is any 200 characters of a token's `sub`, which would need encoding and could
 * push a key past S3's 1,024 bytes. vidproc knows whose video it is.
 */
import type { SafePresigner } from './safe-presigner.js';
import type { PresignedLink } from './presigner.js';

/** A presigned upload URL for the video's file, or undefined when none can be signed now. */
export type UploadLinker = (videoId: string) => Promise<PresignedLink | undefined>;

export const uploadKey = (videoId: string) => `uploads/${videoId}`;

export function uploadLinker(presigner: SafePresigner, bucket: string): UploadLinker {
  return (videoId) => presigner.put({ bucket, key: uploadKey(videoId) });
}
