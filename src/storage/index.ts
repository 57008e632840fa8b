/**
 * Object storage for the API and the worker: the links that open (presigned S3 GETs) and, with
 * UPLOAD_BUCKET, presigned upload URLs. Built once per process from the configuration.
 */
import type { StorageSettings } from '../config/env.js';
import { linksAsStored, type LinkOpener } from '../domain/public-video.js';
import type { Logger } from '../logger.js';
import { s3LinkOpener } from './link-opener.js';
import { createPresigner, type PresignerOptions } from './presigner.js';
import { safePresigner, type SafePresignerOptions } from './safe-presigner.js';
import { uploadLinker, type UploadLinker } from './upload-link.js';

export type { UploadLinker } from './upload-link.js';

export interface Storage {
  /** Opens every images link the process shows (the API's views, the webhooks' bodies). */
  openLink: LinkOpener;
  /** Presigned upload URLs; undefined without UPLOAD_BUCKET. */
  uploadLink: UploadLinker | undefined;
  close(): void;
}

/**
 * The storage of this configuration. Without S3 (neither AWS_REGION nor S3_ENDPOINT) links are
 * shown as stored, which is said once here.
 */
export function openStorage(settings: StorageSettings, logger: Logger, options: PresignerOptions & SafePresignerOptions = {}): Storage {
  if (!settings.enabled) {
    logger.info('no S3 configured (AWS_REGION, S3_ENDPOINT): s3:// links are shown as stored');
    return { openLink: linksAsStored, uploadLink: undefined, close: () => undefined };
  }
  const presigner = createPresigner(settings, options);
  const safe = safePresigner(presigner, logger, options);
  return {
    openLink: s3LinkOpener(safe),
    uploadLink: settings.uploadBucket === undefined ? undefined : uploadLinker(safe, settings.uploadBucket),
    close: () => presigner.close(),
  };
}
