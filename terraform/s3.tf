# The bucket for videos and extracted images: private, versioned, SSE-KMS with the data key,
# TLS-only, access logged to a second bucket (modules/private-bucket).
module "media_bucket" {
  # checkov:skip=CKV_AWS_144: cross-region replication is a disaster-recovery choice per deployment (needs a second region); versioning protects against deletes
  # checkov:skip=CKV2_AWS_62: no consumer of S3 event notifications yet; the processing service publishes its own events to RabbitMQ
  source = "./modules/private-bucket"

  name_prefix       = "${local.name}-media-"
  force_destroy     = var.media_bucket_force_destroy
  kms_key_arn       = aws_kms_key.data.arn
  lifecycle_rule_id = "expire-noncurrent-versions-and-abort-uploads"
  access_logs       = { bucket = module.logs_bucket.id, prefix = "s3/media/" }
}

# The access-log bucket. S3 server access logs can only be delivered with SSE-S3, not SSE-KMS.
module "logs_bucket" {
  # checkov:skip=CKV_AWS_18: this is the access-log bucket itself; logging it into itself would loop
  # checkov:skip=CKV_AWS_144: access logs are not replicated to another region
  # checkov:skip=CKV2_AWS_62: nothing consumes events from the log bucket
  # checkov:skip=CKV_AWS_145: S3 server access logging delivers only to buckets encrypted with SSE-S3 (AES256), not SSE-KMS
  source = "./modules/private-bucket"

  name_prefix       = "${local.name}-logs-"
  force_destroy     = var.media_bucket_force_destroy
  kms_key_arn       = null
  lifecycle_rule_id = "expire-access-logs"
  expiration_days   = 365
  log_delivery      = { prefix = "s3/", source_bucket_arns = [module.media_bucket.arn] }
}
