# A PostgreSQL RDS instance (terraform-aws-modules/rds/aws) with the settings vidproc's databases
# share: encrypted with the given key (storage, Performance Insights, logs), TLS only (rds.force_ssl),
# private, reachable from the EKS nodes only (its own security group), point-in-time recovery over
# backup_retention_days with the automated backups kept after a destroy, tags copied to snapshots, a
# final snapshot unless skip_final_snapshot, deletion protection, minor versions upgraded by AWS,
# enhanced monitoring, Performance Insights, and the postgresql and upgrade logs kept a year.
resource "aws_security_group" "this" {
  # checkov:skip=CKV2_AWS_5: attached to the RDS instance through module.rds (vpc_security_group_ids), which checkov does not download
  count       = var.create ? 1 : 0
  name        = "${var.identifier}-rds"
  description = "PostgreSQL for ${var.purpose}: reachable from the EKS nodes only"
  vpc_id      = var.vpc_id

  ingress {
    description     = "PostgreSQL from the EKS nodes (the ${var.purpose} pods)"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [var.client_security_group_id]
  }
}

module "rds" {
  # checkov:skip=CKV_TF_1: a Terraform Registry module pinned to an exact release version; the registry serves that version's archive
  source  = "terraform-aws-modules/rds/aws"
  version = "7.2.0"

  create_db_instance        = var.create
  create_db_parameter_group = var.create

  identifier = var.identifier

  engine               = "postgres"
  engine_version       = var.engine_version
  family               = "postgres${split(".", var.engine_version)[0]}"
  major_engine_version = split(".", var.engine_version)[0]
  instance_class       = var.instance_class

  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  db_name  = var.db_name
  username = var.username
  port     = 5432

  # The master password: kept (and rotated) by RDS in Secrets Manager, or the one given (write-only).
  manage_master_user_password   = var.manage_master_user_password
  master_user_secret_kms_key_id = var.manage_master_user_password ? var.kms_key_arn : null
  password_wo                   = var.password_wo
  password_wo_version           = var.password_wo_version

  multi_az               = var.multi_az
  db_subnet_group_name   = var.db_subnet_group_name
  vpc_security_group_ids = aws_security_group.this[*].id
  publicly_accessible    = false

  backup_retention_period  = var.backup_retention_days
  backup_window            = "02:00-03:00"
  maintenance_window       = "Sun:03:30-Sun:04:30"
  copy_tags_to_snapshot    = true
  delete_automated_backups = false

  # Data safety: deletion refused while protected; a destroy leaves a final snapshot (unless
  # skip_final_snapshot) and keeps the automated backups (delete_automated_backups = false).
  deletion_protection              = var.deletion_protection
  skip_final_snapshot              = var.skip_final_snapshot
  final_snapshot_identifier_prefix = "${var.identifier}-final"

  auto_minor_version_upgrade          = true
  iam_database_authentication_enabled = true

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = 7

  monitoring_interval    = 60
  create_monitoring_role = true
  monitoring_role_name   = "${var.identifier}-rds-monitoring"

  enabled_cloudwatch_logs_exports        = ["postgresql", "upgrade"]
  create_cloudwatch_log_group            = true
  cloudwatch_log_group_retention_in_days = 365
  cloudwatch_log_group_kms_key_id        = var.kms_key_arn

  # PostgreSQL has no options: no option group.
  create_db_option_group = false

  parameters = concat(
    # TLS only (the default from PostgreSQL 15 on; explicit so it never regresses).
    [{ name = "rds.force_ssl", value = "1" }],
    var.parameters,
  )
}
