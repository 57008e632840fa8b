/** `s3://bucket/key` links, as the processing service writes them (and the AWS CLI reads them). */

export interface S3Location {
  bucket: string;
  key: string;
}

/**
 * The bucket and key of an `s3://bucket/key` link, or undefined when it is not one. The key is
 * taken literally, as the AWS tools do (`s3://b/a b.zip` is the key `a b.zip`, not percent-decoded).
 */
export function parseS3Url(url: string): S3Location | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/i.exec(url);
  return match ? { bucket: match[1]!, key: match[2]! } : undefined;
}
