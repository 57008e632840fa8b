# The IAM role the vidproc pods assume through their ServiceAccount (IRSA): read and write the
# media bucket (and use the key it is encrypted with), nothing else.
module "vidproc_role" {
  source = "./modules/irsa-role"

  name              = "${local.name}-app"
  oidc_provider_arn = module.eks.oidc_provider_arn
  service_account   = "${var.k8s_namespace}:${local.service_account}"

  permissions = {
    MediaBucketList = {
      actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
      resources = [module.media_bucket.arn]
    }
    MediaObjects = {
      actions = [
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
      ]
      resources = ["${module.media_bucket.arn}/*"]
    }
    MediaKey = {
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [aws_kms_key.data.arn]
    }
  }
}
