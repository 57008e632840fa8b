# Temporal: on Temporal Cloud (temporal_mode = "cloud": temporal_address, temporal_namespace and an
# API key, as before) or in the cluster (temporal_mode = "cluster"): the official chart
# (go.temporal.io/helm-charts) on an RDS PostgreSQL instance of its own (the databases temporal and
# temporal_visibility, its own user; SQL visibility, where the video search attributes are
# registered by the vidproc chart's temporal-setup Job before the migration). The Web UI is
# internal (a ClusterIP Service): operators reach it with `kubectl port-forward` (their cluster
# access is the gate), and sign in with the Cognito pool when temporal_ui_oidc is on.
locals {
  temporal_in_cluster      = var.temporal_mode == "cluster"
  temporal_k8s_namespace   = "temporal"
  temporal_db_secret_name  = "temporal-db"
  temporal_ui_secret_name  = "temporal-ui-oidc"
  temporal_ui_local_url    = "http://localhost:8080"
  temporal_frontend        = "temporal-frontend.${local.temporal_k8s_namespace}.svc:7233"
  temporal_effective_addr  = local.temporal_in_cluster ? local.temporal_frontend : var.temporal_address
  temporal_rds_ca_pem_path = "/etc/temporal/rds-ca/ca.pem"
}

# Temporal's user's password: kept in Secrets Manager, given to Temporal through ESO. Not rotated
# automatically: Temporal reads its password at start, and its chart names one user; rotating is
# docs/deploy-aws.md's procedure (bump temporal_db_password_version, apply, restart Temporal).
resource "random_password" "temporal_db" {
  count            = local.temporal_in_cluster ? 1 : 0
  length           = 32
  special          = true
  override_special = "-_.~"
  keepers = {
    version = var.temporal_db_password_version
  }
}

resource "aws_secretsmanager_secret" "temporal_db" {
  # checkov:skip=CKV2_AWS_57: Temporal reads its database password once at start; rotation is the documented versioned procedure (temporal_db_password_version), not an automatic one
  count       = local.temporal_in_cluster ? 1 : 0
  name_prefix = "${local.name}/temporal/database-"
  description = "Temporal's PostgreSQL user on ${local.name}-temporal"
  kms_key_id  = aws_kms_key.data.arn
}

resource "aws_secretsmanager_secret_version" "temporal_db" {
  count     = local.temporal_in_cluster ? 1 : 0
  secret_id = aws_secretsmanager_secret.temporal_db[0].id
  secret_string = jsonencode({
    username = "temporal"
    password = random_password.temporal_db[0].result
  })
}

# Temporal's PostgreSQL instance: the settings of vidproc's (modules/postgres), Temporal's user as
# its master user, with the password above (write-only: not in the module's state).
module "temporal_db" {
  source = "./modules/postgres"

  create                   = local.temporal_in_cluster
  identifier               = "${local.name}-temporal"
  purpose                  = "Temporal"
  vpc_id                   = module.vpc.vpc_id
  db_subnet_group_name     = module.vpc.database_subnet_group_name
  client_security_group_id = module.eks.node_security_group_id
  kms_key_arn              = aws_kms_key.data.arn

  engine_version        = var.db_engine_version
  instance_class        = var.temporal_db_instance_class
  allocated_storage     = 50
  max_allocated_storage = 500

  db_name                     = "temporal"
  username                    = "temporal"
  manage_master_user_password = false
  password_wo                 = try(random_password.temporal_db[0].result, null)
  password_wo_version         = var.temporal_db_password_version

  multi_az              = var.db_multi_az
  backup_retention_days = var.db_backup_retention_days
  deletion_protection   = var.deletion_protection
  skip_final_snapshot   = var.db_skip_final_snapshot
}

# The Web UI's own app client (confidential: the UI server keeps its secret), for its OIDC sign-in
# through the port-forward (callback on localhost).
resource "aws_cognito_user_pool_client" "temporal_ui" {
  count        = local.temporal_in_cluster && var.temporal_ui_oidc ? 1 : 0
  name         = "${local.name}-temporal-ui"
  user_pool_id = aws_cognito_user_pool.this.id

  generate_secret                      = true
  explicit_auth_flows                  = ["ALLOW_REFRESH_TOKEN_AUTH"]
  prevent_user_existence_errors        = "ENABLED"
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = ["openid", "email", "profile"]
  supported_identity_providers         = ["COGNITO"]
  callback_urls                        = ["${local.temporal_ui_local_url}/auth/sso/callback"]
  logout_urls                          = [local.temporal_ui_local_url]
}

resource "aws_secretsmanager_secret" "temporal_ui_client" {
  # checkov:skip=CKV2_AWS_57: the secret of a Cognito app client; Cognito rotates it (new client secret), then terraform apply puts it here
  count       = local.temporal_in_cluster && var.temporal_ui_oidc ? 1 : 0
  name_prefix = "${local.name}/temporal/ui-oidc-"
  description = "The Temporal Web UI's Cognito app client secret"
  kms_key_id  = aws_kms_key.data.arn
}

resource "aws_secretsmanager_secret_version" "temporal_ui_client" {
  count     = local.temporal_in_cluster && var.temporal_ui_oidc ? 1 : 0
  secret_id = aws_secretsmanager_secret.temporal_ui_client[0].id
  secret_string = jsonencode({
    TEMPORAL_AUTH_CLIENT_SECRET = aws_cognito_user_pool_client.temporal_ui[0].client_secret
  })
}

locals {
  # One SQL datastore of Temporal (default or visibility) on its RDS instance, TLS verified.
  temporal_sql_store = { for store, db in { default = "temporal", visibility = "temporal_visibility" } : store => {
    sql = {
      pluginName      = "postgres12"
      databaseName    = db
      connectAddr     = "${module.temporal_db.db_instance_address}:5432"
      connectProtocol = "tcp"
      user            = "temporal"
      existingSecret  = local.temporal_db_secret_name
      secretKey       = "password"
      maxConns        = 20
      maxIdleConns    = 20
      maxConnLifetime = "1h"
      tls = {
        enabled                = true
        enableHostVerification = true
        serverName             = module.temporal_db.db_instance_address
        caFile                 = local.temporal_rds_ca_pem_path
      }
    }
  } }

  # Pre-install/pre-upgrade hooks of the Temporal release (its schema Job needs them): the secrets
  # from Secrets Manager through ESO, and the RDS CA bundle.
  temporal_hook = {
    "helm.sh/hook"               = "pre-install,pre-upgrade"
    "helm.sh/hook-weight"        = "-10"
    "helm.sh/hook-delete-policy" = "before-hook-creation"
  }
  temporal_extra_objects = concat(
    [
      yamlencode({
        apiVersion = "external-secrets.io/v1"
        kind       = "SecretStore"
        metadata   = { name = "aws-secrets-manager", annotations = merge(local.temporal_hook, { "helm.sh/hook-weight" = "-20" }) }
        spec       = { provider = { aws = { service = "SecretsManager", region = var.region } } }
      }),
      yamlencode({
        apiVersion = "external-secrets.io/v1"
        kind       = "ExternalSecret"
        metadata   = { name = local.temporal_db_secret_name, annotations = local.temporal_hook }
        spec = {
          refreshInterval = "1h"
          secretStoreRef  = { name = "aws-secrets-manager", kind = "SecretStore" }
          target          = { name = local.temporal_db_secret_name, creationPolicy = "Orphan", deletionPolicy = "Retain" }
          data = [{
            secretKey = "password"
            remoteRef = { key = try(aws_secretsmanager_secret.temporal_db[0].arn, ""), property = "password" }
          }]
        }
      }),
      yamlencode({
        apiVersion = "v1"
        kind       = "ConfigMap"
        metadata   = { name = "temporal-rds-ca", annotations = local.temporal_hook }
        data       = { "ca.pem" = try(data.http.rds_ca_bundle[0].response_body, "") }
      }),
    ],
    var.temporal_ui_oidc ? [yamlencode({
      apiVersion = "external-secrets.io/v1"
      kind       = "ExternalSecret"
      metadata   = { name = local.temporal_ui_secret_name }
      spec = {
        refreshInterval = "1h"
        secretStoreRef  = { name = "aws-secrets-manager", kind = "SecretStore" }
        target          = { name = local.temporal_ui_secret_name }
        dataFrom        = [{ extract = { key = try(aws_secretsmanager_secret.temporal_ui_client[0].arn, "") } }]
      }
    })] : [],
  )

  temporal_values = {
    server = {
      replicaCount = 2
      config = {
        persistence = {
          defaultStore     = "default"
          visibilityStore  = "visibility"
          numHistoryShards = var.temporal_history_shards
          datastores       = local.temporal_sql_store
        }
        # vidproc's namespace is made by the vidproc chart's temporal-setup Job (with the search attributes).
        namespaces = { create = false }
      }
      additionalVolumes      = [{ name = "rds-ca", configMap = { name = "temporal-rds-ca" } }]
      additionalVolumeMounts = [{ name = "rds-ca", mountPath = dirname(local.temporal_rds_ca_pem_path), readOnly = true }]
    }
    admintools = {
      additionalVolumes      = [{ name = "rds-ca", configMap = { name = "temporal-rds-ca" } }]
      additionalVolumeMounts = [{ name = "rds-ca", mountPath = dirname(local.temporal_rds_ca_pem_path), readOnly = true }]
    }
    # The Web UI: internal only (kubectl port-forward svc/temporal-web 8080:8080).
    web = {
      service = { type = "ClusterIP" }
      additionalEnv = var.temporal_ui_oidc ? [
        { name = "TEMPORAL_AUTH_ENABLED", value = "true" },
        { name = "TEMPORAL_AUTH_PROVIDER_URL", value = local.cognito_issuer },
        { name = "TEMPORAL_AUTH_ISSUER_URL", value = local.cognito_issuer },
        { name = "TEMPORAL_AUTH_CLIENT_ID", value = try(aws_cognito_user_pool_client.temporal_ui[0].id, "") },
        { name = "TEMPORAL_AUTH_CALLBACK_URL", value = "${local.temporal_ui_local_url}/auth/sso/callback" },
        { name = "TEMPORAL_AUTH_SCOPES", value = "openid,email,profile" },
      ] : []
      additionalEnvSecretName = var.temporal_ui_oidc ? local.temporal_ui_secret_name : ""
    }
    extraObjects = local.temporal_extra_objects
  }
}

resource "helm_release" "temporal" {
  count = local.temporal_in_cluster && var.install_chart ? 1 : 0

  name             = "temporal"
  repository       = "https://go.temporal.io/helm-charts"
  chart            = "temporal"
  version          = var.temporal_chart_version
  namespace        = local.temporal_k8s_namespace
  create_namespace = true

  # The schema Job (a hook) creates temporal_visibility and applies the schemas before the services start.
  wait    = true
  timeout = 900

  values = [yamlencode(local.temporal_values)]

  depends_on = [
    helm_release.external_secrets,
    module.temporal_db,
    aws_secretsmanager_secret_version.temporal_db,
  ]
}
