# The vidproc chart (../charts/vidproc), installed into the cluster with the endpoints and
# secrets of the infrastructure above. The migration Job runs as a pre-install/pre-upgrade hook.

# An HS256 secret for API tokens when neither one nor a JWKS URL is given.
resource "random_password" "auth_jwt_secret" {
  count   = var.auth_jwt_secret == "" && var.auth_jwks_url == "" ? 1 : 0
  length  = 48
  special = false
}

locals {
  db_master = try(jsondecode(data.aws_secretsmanager_secret_version.db_master[0].secret_string), null)

  database_url = local.db_master == null ? "" : format(
    "postgres://%s:%s@%s:%d/%s",
    urlencode(local.db_master.username),
    urlencode(local.db_master.password),
    module.rds.db_instance_address,
    module.rds.db_instance_port,
    module.rds.db_instance_name,
  )

  # amqps://b-....mq.<region>.on.aws:5671 -> amqps://user:password@b-...:5671
  amqp_url = replace(
    aws_mq_broker.this.instances[0].endpoints[0],
    "amqps://",
    "amqps://${urlencode(var.mq_username)}:${urlencode(random_password.mq.result)}@",
  )

  chart_values = {
    image = {
      repository = aws_ecr_repository.vidproc.repository_url
      tag        = var.image_tag
    }
    serviceAccount = {
      create = true
      name   = local.service_account
      annotations = {
        "eks.amazonaws.com/role-arn" = module.vidproc_irsa.arn
      }
    }
    config = {
      temporal = {
        address   = var.temporal_address
        namespace = var.temporal_namespace
        taskQueue = var.temporal_task_queue
        tls       = var.temporal_tls
      }
      auth = {
        jwksUrl  = var.auth_jwks_url
        issuer   = var.auth_issuer
        audience = var.auth_audience
      }
      database = {
        sslMode  = "verify-full"
        caBundle = try(data.http.rds_ca_bundle[0].response_body, "")
      }
      # Presigned images links and direct upload into the media bucket (the IRSA role may read and write it).
      storage = {
        region       = var.region
        uploadBucket = aws_s3_bucket.media.id
      }
    }
  }

  chart_secret_values = var.app_existing_secret != "" ? {
    secrets = { existingSecret = var.app_existing_secret }
    } : {
    secrets = {
      databaseUrl     = local.database_url
      amqpUrl         = local.amqp_url
      authJwtSecret   = var.auth_jwt_secret != "" ? var.auth_jwt_secret : try(random_password.auth_jwt_secret[0].result, "")
      temporalApiKey  = var.temporal_api_key
      alertWebhookUrl = var.alert_webhook_url
    }
  }
}

resource "helm_release" "vidproc" {
  count = var.install_chart ? 1 : 0

  name             = "vidproc"
  chart            = "${path.module}/../charts/vidproc"
  namespace        = var.k8s_namespace
  create_namespace = true

  # Wait for the Deployments to be ready; the migration hook runs first. On failure the release
  # is marked failed (helm rollback / re-apply), nothing is torn down.
  wait    = true
  timeout = 600

  values = [
    yamlencode(local.chart_values),
    yamlencode(var.chart_values),
    # Secrets through values, not `set`, so that commas and dots in them need no escaping;
    # the whole document is sensitive in the plan.
    sensitive(yamlencode(local.chart_secret_values)),
  ]

  depends_on = [
    module.eks,
    module.rds,
    aws_mq_broker.this,
  ]
}
