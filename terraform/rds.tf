# PostgreSQL for the projection (videos, video_events, webhooks). Encrypted with the data key; the
# master password is generated and kept (and rotated) by RDS in Secrets Manager. Point-in-time
# recovery over db_backup_retention_days, optionally also in another region (below). The
# projection is what `vidproc rebuild-workflows` rebuilds Temporal's workflows from: see the
# runbook's "Restore" (docs/operations.md).
resource "aws_security_group" "rds" {
  # checkov:skip=CKV2_AWS_5: attached to the RDS instance through module.rds (vpc_security_group_ids), which checkov does not download
  name        = "${local.name}-rds"
  description = "PostgreSQL for vidproc: reachable from the EKS nodes only"
  vpc_id      = module.vpc.vpc_id

  ingress {
    description     = "PostgreSQL from the EKS nodes (the vidproc pods)"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [module.eks.node_security_group_id]
  }
}

module "rds" {
  # checkov:skip=CKV_TF_1: a Terraform Registry module pinned to an exact release version; the registry serves that version's archive
  source  = "terraform-aws-modules/rds/aws"
  version = "7.2.0"

  identifier = local.name

  engine               = "postgres"
  engine_version       = var.db_engine_version
  family               = "postgres${split(".", var.db_engine_version)[0]}"
  major_engine_version = split(".", var.db_engine_version)[0]
  instance_class       = var.db_instance_class

  allocated_storage     = var.db_allocated_storage
  max_allocated_storage = var.db_max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.data.arn

  db_name  = "vidproc"
  username = "vidproc"
  port     = 5432

  manage_master_user_password   = true
  master_user_secret_kms_key_id = aws_kms_key.data.arn

  multi_az               = var.db_multi_az
  db_subnet_group_name   = module.vpc.database_subnet_group_name
  vpc_security_group_ids = [aws_security_group.rds.id]
  publicly_accessible    = false

  backup_retention_period  = var.db_backup_retention_days
  backup_window            = "02:00-03:00"
  maintenance_window       = "Sun:03:30-Sun:04:30"
  copy_tags_to_snapshot    = true
  delete_automated_backups = false

  # Data safety: deletion refused while protected; a destroy leaves a final snapshot (unless
  # db_skip_final_snapshot) and keeps the automated backups (delete_automated_backups = false).
  deletion_protection              = var.deletion_protection
  skip_final_snapshot              = var.db_skip_final_snapshot
  final_snapshot_identifier_prefix = "${local.name}-final"

  auto_minor_version_upgrade          = true
  iam_database_authentication_enabled = true

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.data.arn
  performance_insights_retention_period = 7

  monitoring_interval    = 60
  create_monitoring_role = true
  monitoring_role_name   = "${local.name}-rds-monitoring"

  enabled_cloudwatch_logs_exports        = ["postgresql", "upgrade"]
  create_cloudwatch_log_group            = true
  cloudwatch_log_group_retention_in_days = 365
  cloudwatch_log_group_kms_key_id        = aws_kms_key.data.arn

  # PostgreSQL has no options: no option group.
  create_db_option_group = false

  parameters = [
    # TLS only (the default from PostgreSQL 15 on; explicit so it never regresses).
    { name = "rds.force_ssl", value = "1" },
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
# cannot leave its region). Created in the destination region (the provider's per-resource region).
data "aws_iam_policy_document" "backup_replica_kms" {
  # checkov:skip=CKV_AWS_109: the key policy is attached to this key only; the account root principal is the standard delegation to IAM
  # checkov:skip=CKV_AWS_111: the key policy is attached to this key only; the account root principal is the standard delegation to IAM
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

resource "aws_kms_key" "backup_replica" {
  count = var.db_backup_replica_region == "" ? 0 : 1

  region                  = var.db_backup_replica_region
  description             = "${local.name}: the database's automated backups copied from ${var.region}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.backup_replica_kms.json
}

resource "aws_db_instance_automated_backups_replication" "this" {
  count = var.db_backup_replica_region == "" ? 0 : 1

  region                 = var.db_backup_replica_region
  source_db_instance_arn = module.rds.db_instance_arn
  retention_period       = var.db_backup_replica_retention_days
  kms_key_id             = aws_kms_key.backup_replica[0].arn
}
