# PostgreSQL for the projection (videos, video_events, webhooks), modules/postgres: encrypted with
# the data key, TLS only, reachable from the EKS nodes only; the master password is generated and
# kept (and rotated) by RDS in Secrets Manager. Point-in-time recovery over db_backup_retention_days,
# optionally also in another region (below). The projection is what `vidproc rebuild-workflows`
# rebuilds Temporal's workflows from: see the runbook's "Restore" (docs/operations.md).
module "vidproc_db" {
  source = "./modules/postgres"

  identifier               = local.name
  purpose                  = "vidproc"
  vpc_id                   = module.vpc.vpc_id
  db_subnet_group_name     = module.vpc.database_subnet_group_name
  client_security_group_id = module.eks.node_security_group_id
  kms_key_arn              = aws_kms_key.data.arn

  engine_version        = var.db_engine_version
  instance_class        = var.db_instance_class
  allocated_storage     = var.db_allocated_storage
  max_allocated_storage = var.db_max_allocated_storage

  db_name                     = "vidproc"
  username                    = "vidproc"
  manage_master_user_password = true

  multi_az              = var.db_multi_az
  backup_retention_days = var.db_backup_retention_days
  deletion_protection   = var.deletion_protection
  skip_final_snapshot   = var.db_skip_final_snapshot

  parameters = [
    { name = "log_min_duration_statement", value = "1000" },
  ]
}

# The CA bundle that signs RDS certificates: the pods verify the database with it (PGSSLMODE=verify-full).
data "http" "rds_ca_bundle" {
  count = var.install_chart ? 1 : 0
  url   = coalesce(var.db_ca_bundle_url, "https://truststore.pki.rds.amazonaws.com/${var.region}/${var.region}-bundle.pem")

  lifecycle {
    postcondition {
      condition     = self.status_code == 200 && strcontains(self.response_body, "BEGIN CERTIFICATE")
      error_message = "Could not download the RDS CA bundle (set db_ca_bundle_url)."
    }
  }
}

# Optional: the automated backups copied to another region, so that the database can be restored
# to a point in time there if this region is lost. Encrypted with a key of that region (a KMS key
# cannot leave its region; its policy is kms.tf's kms_account_admin). Created in the destination
# region (the provider's per-resource region).
resource "aws_kms_key" "backup_replica" {
  count = var.db_backup_replica_region == "" ? 0 : 1

  region                  = var.db_backup_replica_region
  description             = "${local.name}: the database's automated backups copied from ${var.region}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms_account_admin.json
}

resource "aws_db_instance_automated_backups_replication" "this" {
  count = var.db_backup_replica_region == "" ? 0 : 1

  region                 = var.db_backup_replica_region
  source_db_instance_arn = module.vidproc_db.db_instance_arn
  retention_period       = var.db_backup_replica_retention_days
  kms_key_id             = aws_kms_key.backup_replica[0].arn
}
