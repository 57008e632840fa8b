variable "name_prefix" {
  description = "Prefix of the bucket's name (S3 appends a unique suffix)."
  type        = string
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete the bucket with its objects."
  type        = bool
}

variable "kms_key_arn" {
  description = "KMS key of SSE-KMS (with a bucket key). Null: SSE-S3 (AES256), for a log bucket only (the only encryption S3 server access logs can be delivered to)."
  type        = string
  default     = null

  # checkov cannot tell this module's instances apart (a log bucket's SSE-S3 passes for all): the rule is here.
  validation {
    condition     = var.kms_key_arn != null || var.log_delivery != null
    error_message = "Only a log bucket (log_delivery set) may go without a KMS key."
  }
}

variable "lifecycle_rule_id" {
  description = "Id of the lifecycle rule (noncurrent versions expire after 30 days, unfinished multipart uploads are aborted after 7)."
  type        = string
}

variable "expiration_days" {
  description = "Days after which current objects expire too (the rule above). Null: they are kept."
  type        = number
  default     = null
}

variable "access_logs" {
  description = "Where this bucket's server access logs go: the log bucket's name and a key prefix. Null: not logged."
  type = object({
    bucket = string
    prefix = string
  })
  default = null

  validation {
    condition     = var.access_logs != null || var.log_delivery != null
    error_message = "Only a log bucket (log_delivery set) may go without access logs."
  }
}

variable "log_delivery" {
  description = "Makes this a log bucket: S3's log delivery may write server access logs of source_bucket_arns (this account's) under prefix. Null: it may not."
  type = object({
    prefix             = string
    source_bucket_arns = list(string)
  })
  default = null
}
