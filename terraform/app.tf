# The vidproc chart (../charts/vidproc), installed into the cluster with the endpoints of the
# infrastructure above. Its secrets come from Secrets Manager through the External Secrets Operator
# (secrets.tf, external-secrets.tf), never through Terraform's state; its pre-install/pre-upgrade
# hooks make vidproc's own database and broker users (bootstrap), register the Temporal namespace
# and search attributes (temporal_mode = "cluster") and run the migration, in that order.

locals {
  # Sign-in: the Cognito pool (cognito.tf), unless auth_jwks_url names another identity provider.
  # The chart maps these values to the API's variables (config.auth). With the pool the API derives
  # its issuer and key set from the pool id and refuses jwksUrl, issuer, audience and AUTH_JWT_SECRET.
  auth_values = var.auth_jwks_url != "" ? {
    jwksUrl  = var.auth_jwks_url
    issuer   = var.auth_issuer
    audience = var.auth_audience
    } : {
    cognitoUserPool  = aws_cognito_user_pool.this.id
    cognitoClientIds = join(",", local.cognito_client_id)
    rolesClaim       = "cognito:groups"
    operatorRoles    = aws_cognito_user_group.operator.name
  }

  chart_values = {
    image = {
      repository = aws_ecr_repository.vidproc.repository_url
      tag        = var.image_tag
    }
    serviceAccount = {
      create = true
      name   = local.service_account
      annotations = {
        "eks.amazonaws.com/role-arn" = module.vidproc_role.arn
      }
    }
    config = {
      temporal = {
        address   = local.temporal_effective_addr
        namespace = var.temporal_namespace
        taskQueue = var.temporal_task_queue
        tls       = local.temporal_in_cluster ? false : var.temporal_tls
        # Links in grouped alerts: the Web UI through the operator's port-forward, or Temporal Cloud's.
        webUiUrl = local.temporal_in_cluster ? local.temporal_ui_local_url : "https://cloud.temporal.io"
      }
      auth = local.auth_values
      database = {
        sslMode  = "verify-full"
        caBundle = try(data.http.rds_ca_bundle[0].response_body, "")
      }
      # Presigned images links and direct upload into the media bucket (the IRSA role may read and write it).
      storage = {
        region       = var.region
        uploadBucket = module.media_bucket.id
      }
    }
    # The internal NLB that API Gateway's VPC link reaches (apigw.tf); only the VPC link's security group may connect.
    service = {
      awsLoadBalancer = {
        enabled        = true
        name           = local.api_nlb_name
        securityGroups = [aws_security_group.api_nlb.id]
      }
    }
    # The api pods accept connections from inside the VPC only (the NLB's addresses, the kubelet's probes).
    networkPolicy = {
      apiIngressFrom = [{ ipBlock = { cidr = var.vpc_cidr } }]
    }
    api = {
      # API Gateway answers within 30 s and does not stream: end live streams before that (clients
      # reconnect with Last-Event-ID), and keep idle connections longer than its keep-alive.
      extraEnv = [
        { name = "SSE_MAX_DURATION", value = "25s" },
        { name = "API_KEEP_ALIVE_TIMEOUT", value = "75s" },
      ]
    }
    temporalSetup = {
      enabled = local.temporal_in_cluster
    }
  }

  # Secrets: through ESO from Secrets Manager, and vidproc's own users made by the bootstrap hook;
  # or an existing Secret of yours (app_existing_secret), then neither.
  chart_secret_values = var.app_existing_secret != "" ? {
    secrets = { existingSecret = var.app_existing_secret }
    } : {
    externalSecrets = {
      enabled     = true
      secretStore = { create = true, region = var.region }
      database    = aws_secretsmanager_secret.db_app.arn
      broker      = aws_secretsmanager_secret.mq["app"].arn
      # The cursor key is the whole value of its own secret (secrets.tf); the others, properties of app_extra.
      env = merge(
        { API_CURSOR_SECRET = { key = aws_secretsmanager_secret.api_cursor.arn } },
        { for name in local.app_extra_names : name => { key = aws_secretsmanager_secret.app_extra[0].arn, property = name } },
      )
    }
    bootstrap = {
      enabled = true
      database = {
        adminSecret = module.vidproc_db.db_instance_master_user_secret_arn
        host        = module.vidproc_db.db_instance_address
        port        = module.vidproc_db.db_instance_port
        name        = module.vidproc_db.db_instance_name
      }
      broker = {
        adminSecret   = aws_secretsmanager_secret.mq["admin"].arn
        managementUrl = aws_mq_broker.this.instances[0].console_url
      }
    }
  }
}

resource "helm_release" "vidproc" {
  count = var.install_chart ? 1 : 0

  name             = "vidproc"
  chart            = "${path.module}/../charts/vidproc"
  namespace        = var.k8s_namespace
  create_namespace = true

  # Wait for the Deployments to be ready and the api's NLB to exist; the hooks run first. On
  # failure the release is marked failed (helm rollback / re-apply), nothing is torn down.
  wait    = true
  timeout = 900

  values = [
    yamlencode(local.chart_values),
    yamlencode(local.chart_secret_values),
    yamlencode(var.chart_values),
  ]

  lifecycle {
    precondition {
      condition     = local.temporal_in_cluster || var.temporal_address != ""
      error_message = "temporal_address is required with temporal_mode = \"cloud\" (or set temporal_mode = \"cluster\")."
    }
  }

  depends_on = [
    module.eks,
    module.vidproc_db,
    aws_mq_broker.this,
    helm_release.lb_controller,
    helm_release.external_secrets,
    helm_release.temporal,
    aws_secretsmanager_secret_version.db_app,
    aws_secretsmanager_secret_version.mq_app,
    aws_secretsmanager_secret_version.app_extra,
    aws_secretsmanager_secret_version.api_cursor,
    aws_vpc_security_group_ingress_rule.api_nlb_from_vpc_link,
  ]
}
