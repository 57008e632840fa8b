# Addresses that changed when repeated resources became local modules (terraform/modules) or
# for_each: each moved block lets a state written before that be planned without destroying and
# creating anything (docs/deploy-aws.md, "Upgrades"). Keep them until every state has been applied
# once with them.

# s3.tf: the media and log buckets -> modules/private-bucket.
moved {
  from = aws_s3_bucket.media
  to   = module.media_bucket.aws_s3_bucket.this
}
moved {
  from = aws_s3_bucket_public_access_block.media
  to   = module.media_bucket.aws_s3_bucket_public_access_block.this
}
moved {
  from = aws_s3_bucket_ownership_controls.media
  to   = module.media_bucket.aws_s3_bucket_ownership_controls.this
}
moved {
  from = aws_s3_bucket_versioning.media
  to   = module.media_bucket.aws_s3_bucket_versioning.this
}
moved {
  from = aws_s3_bucket_server_side_encryption_configuration.media
  to   = module.media_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}
moved {
  from = aws_s3_bucket_lifecycle_configuration.media
  to   = module.media_bucket.aws_s3_bucket_lifecycle_configuration.this
}
moved {
  from = aws_s3_bucket_logging.media
  to   = module.media_bucket.aws_s3_bucket_logging.this[0]
}
moved {
  from = aws_s3_bucket_policy.media
  to   = module.media_bucket.aws_s3_bucket_policy.this
}
moved {
  from = aws_s3_bucket.logs
  to   = module.logs_bucket.aws_s3_bucket.this
}
moved {
  from = aws_s3_bucket_public_access_block.logs
  to   = module.logs_bucket.aws_s3_bucket_public_access_block.this
}
moved {
  from = aws_s3_bucket_ownership_controls.logs
  to   = module.logs_bucket.aws_s3_bucket_ownership_controls.this
}
moved {
  from = aws_s3_bucket_versioning.logs
  to   = module.logs_bucket.aws_s3_bucket_versioning.this
}
moved {
  from = aws_s3_bucket_server_side_encryption_configuration.logs
  to   = module.logs_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}
moved {
  from = aws_s3_bucket_lifecycle_configuration.logs
  to   = module.logs_bucket.aws_s3_bucket_lifecycle_configuration.this
}
moved {
  from = aws_s3_bucket_policy.logs
  to   = module.logs_bucket.aws_s3_bucket_policy.this
}

# rds.tf, temporal.tf: the two PostgreSQL instances and their security groups -> modules/postgres.
moved {
  from = aws_security_group.rds
  to   = module.vidproc_db.aws_security_group.this[0]
}
moved {
  from = module.rds
  to   = module.vidproc_db.module.rds
}
moved {
  from = aws_security_group.temporal_rds
  to   = module.temporal_db.aws_security_group.this
}
moved {
  from = module.temporal_rds
  to   = module.temporal_db.module.rds
}

# external-secrets.tf, lb-controller.tf, irsa.tf: the IRSA roles -> modules/irsa-role.
moved {
  from = module.external_secrets_irsa
  to   = module.external_secrets_role.module.role
}
moved {
  from = module.lb_controller_irsa
  to   = module.lb_controller_role.module.role
}
moved {
  from = module.vidproc_irsa
  to   = module.vidproc_role.module.role
}

# mq.tf, secrets.tf: the broker's admin and vidproc's broker user -> one for_each (local.mq_users).
moved {
  from = random_password.mq
  to   = random_password.mq["admin"]
}
moved {
  from = random_password.mq_app
  to   = random_password.mq["app"]
}
moved {
  from = aws_secretsmanager_secret.mq
  to   = aws_secretsmanager_secret.mq["admin"]
}
moved {
  from = aws_secretsmanager_secret.mq_app
  to   = aws_secretsmanager_secret.mq["app"]
}
