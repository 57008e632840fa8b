# One customer-managed key for vidproc's data at rest: the media bucket, the database (storage,
# Performance Insights, its master-user secret), the broker credentials, ECR and the log groups.

# What every key policy starts with (the data key's below, the backup copies' key's in rds.tf):
# the account administers the key, through IAM.
data "aws_iam_policy_document" "kms_account_admin" {
  # checkov:skip=CKV_AWS_109: a key policy applies to its own key only; the account root principal is the standard delegation to IAM
  # checkov:skip=CKV_AWS_111: a key policy applies to its own key only; the account root principal is the standard delegation to IAM
  # checkov:skip=CKV_AWS_356: in a key policy "*" means this key
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
}

# The data key's: the above, and CloudWatch Logs may use it for this account's log groups.
data "aws_iam_policy_document" "kms" {
  source_policy_documents = [data.aws_iam_policy_document.kms_account_admin.json]

  statement {
    sid = "CloudWatchLogs"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:*"]
    }
  }
}

resource "aws_kms_key" "data" {
  description             = "${local.name}: data at rest (S3, RDS, Secrets Manager, ECR, logs)"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "data" {
  name          = "alias/${local.name}-data"
  target_key_id = aws_kms_key.data.key_id
}
