# vidproc's own credentials in Secrets Manager (the pods get them through the External Secrets
# Operator, external-secrets.tf; the chart's bootstrap Job makes the users with the admins'
# credentials before the migration):
#   - the database user (not the RDS master), rotated by Secrets Manager with AWS's alternating-users
#     function: each rotation sets a new password on the other of <user> and <user>_clone and makes
#     it current, so the password a running pod has stays valid for a whole rotation period;
#   - the broker user (its own, not the broker's admin);
#   - the key the API signs its paging cursors with (API_CURSOR_SECRET);
#   - the other secret variables (Temporal Cloud API key, alert webhook, HS256 token secret), when set.

# The first password of the database user; the rotation replaces it (ignore_changes below).
resource "random_password" "db_app" {
  length           = 32
  special          = true
  override_special = "-_.~"
}

resource "aws_secretsmanager_secret" "db_app" {
  name_prefix = "${local.name}/database/app-"
  description = "vidproc: its own PostgreSQL user on ${local.name} (rotated, alternating users)"
  kms_key_id  = aws_kms_key.data.arn
}

resource "aws_secretsmanager_secret_version" "db_app" {
  secret_id = aws_secretsmanager_secret.db_app.id
  # The rotation function's format: it logs in with masterarn's credentials to set the passwords.
  secret_string = jsonencode({
    engine    = "postgres"
    host      = module.vidproc_db.db_instance_address
    port      = module.vidproc_db.db_instance_port
    dbname    = module.vidproc_db.db_instance_name
    username  = var.db_app_username
    password  = random_password.db_app.result
    masterarn = module.vidproc_db.db_instance_master_user_secret_arn
  })

  # After the first rotation the secret is the rotation's: Terraform does not put this back.
  lifecycle {
    ignore_changes = [secret_string]
  }
}

# The rotation function (AWS's, from the Serverless Application Repository), in the private
# subnets: it reaches the database directly and Secrets Manager through the NAT gateways.
resource "aws_security_group" "db_rotation" {
  # checkov:skip=CKV2_AWS_5: attached to the rotation Lambda of the Serverless Application Repository stack (its vpcSecurityGroupIds parameter), which checkov cannot see
  name        = "${local.name}-db-rotation"
  description = "The database user's rotation function: to PostgreSQL and to Secrets Manager (HTTPS)"
  vpc_id      = module.vpc.vpc_id

  egress {
    description     = "PostgreSQL"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [module.vidproc_db.security_group_id]
  }

  egress {
    description = "Secrets Manager API (HTTPS, through the NAT gateways)"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_vpc_security_group_ingress_rule" "rds_from_rotation" {
  security_group_id            = module.vidproc_db.security_group_id
  description                  = "PostgreSQL from the database user's rotation function"
  from_port                    = 5432
  to_port                      = 5432
  ip_protocol                  = "tcp"
  referenced_security_group_id = aws_security_group.db_rotation.id
}

resource "aws_serverlessapplicationrepository_cloudformation_stack" "db_rotation" {
  name             = "${local.name}-db-rotation"
  application_id   = "arn:aws:serverlessrepo:us-east-1:297356227824:applications/SecretsManagerRDSPostgreSQLRotationMultiUser"
  semantic_version = var.db_rotation_function_version
  capabilities     = ["CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"]

  parameters = {
    functionName        = "${local.name}-db-rotation"
    endpoint            = "https://secretsmanager.${var.region}.${data.aws_partition.current.dns_suffix}"
    vpcSubnetIds        = join(",", module.vpc.private_subnets)
    vpcSecurityGroupIds = aws_security_group.db_rotation.id
    kmsKeyArn           = aws_kms_key.data.arn
    # The function logs in as the master (the RDS-managed secret) to set the users' passwords.
    masterSecretArn       = module.vidproc_db.db_instance_master_user_secret_arn
    masterSecretKmsKeyArn = aws_kms_key.data.arn
  }
}

resource "aws_secretsmanager_secret_rotation" "db_app" {
  secret_id           = aws_secretsmanager_secret.db_app.id
  rotation_lambda_arn = aws_serverlessapplicationrepository_cloudformation_stack.db_rotation.outputs.RotationLambdaARN
  # Not at once: the user is made by the chart's bootstrap Job, after this apply's helm_release starts.
  rotate_immediately = false

  rotation_rules {
    automatically_after_days = var.db_app_rotation_days
  }
}

# The broker user (its password and secret: mq.tf, with the admin's). Amazon MQ has no rotation
# function for RabbitMQ users: rotate by putting a new secret value (username <user> or
# <user>_clone, a new password) and running `terraform apply` (the bootstrap Job sets it on the
# broker); the other user keeps working until then.
resource "aws_secretsmanager_secret_version" "mq_app" {
  secret_id = aws_secretsmanager_secret.mq["app"].id
  secret_string = jsonencode({
    username = var.mq_app_username
    password = random_password.mq["app"].result
    host     = trimprefix(aws_mq_broker.this.instances[0].endpoints[0], "amqps://")
  })

  lifecycle {
    ignore_changes = [secret_string]
  }
}

# The other secret variables the pods read, when set (names are the variables').
locals {
  app_extra_secrets = { for k, v in {
    TEMPORAL_API_KEY  = local.temporal_in_cluster ? "" : var.temporal_api_key
    ALERT_WEBHOOK_URL = var.alert_webhook_url
    AUTH_JWT_SECRET   = var.auth_jwt_secret
  } : k => v if v != "" }
  # Which of them are set is not secret (their values are).
  app_extra_names = nonsensitive(keys(local.app_extra_secrets))
}

resource "aws_secretsmanager_secret" "app_extra" {
  # checkov:skip=CKV2_AWS_57: an API key and a webhook URL issued by other services (rotated there) and an optional HS256 secret; each is replaced with terraform apply
  count       = length(local.app_extra_names) > 0 ? 1 : 0
  name_prefix = "${local.name}/app-"
  description = "vidproc: Temporal Cloud API key, alert webhook, HS256 token secret (those set)"
  kms_key_id  = aws_kms_key.data.arn
}

resource "aws_secretsmanager_secret_version" "app_extra" {
  count         = length(local.app_extra_names) > 0 ? 1 : 0
  secret_id     = aws_secretsmanager_secret.app_extra[0].id
  secret_string = jsonencode(local.app_extra_secrets)
}

# The key the API signs its paging cursors with (API_CURSOR_SECRET): every api pod must have the
# same one, or a page's nextCursor fails on another pod (with a Cognito pool the API has no
# AUTH_JWT_SECRET to derive it from). An ephemeral random_password written write-only, so the key
# is in neither the plan nor the state (unlike the first passwords above). Bump
# api_cursor_secret_version to replace it: cursors handed out before then get a 422, and clients
# start their listing again.
ephemeral "random_password" "api_cursor" {
  length  = 48
  special = false
}

resource "aws_secretsmanager_secret" "api_cursor" {
  # checkov:skip=CKV2_AWS_57: a signing key only vidproc uses; replaced by bumping api_cursor_secret_version (a rotation would only cut open paging cursors short)
  name_prefix = "${local.name}/api-cursor-"
  description = "vidproc: the key the API signs its paging cursors with (API_CURSOR_SECRET)"
  kms_key_id  = aws_kms_key.data.arn
}

resource "aws_secretsmanager_secret_version" "api_cursor" {
  secret_id                = aws_secretsmanager_secret.api_cursor.id
  secret_string_wo         = ephemeral.random_password.api_cursor.result
  secret_string_wo_version = var.api_cursor_secret_version
}
