# The External Secrets Operator: it copies vidproc's secrets from Secrets Manager into Kubernetes
# Secrets (the chart's externalSecrets) and refreshes them, so a rotated password reaches new pods
# and new connections without a Terraform run. Its IAM role (IRSA) may read these secrets only.
locals {
  # Every secret a pod of this deployment reads through ESO.
  eso_secret_arns = compact(concat(
    [
      module.vidproc_db.db_instance_master_user_secret_arn,
      aws_secretsmanager_secret.db_app.arn,
      aws_secretsmanager_secret.mq["admin"].arn,
      aws_secretsmanager_secret.mq["app"].arn,
      aws_secretsmanager_secret.api_cursor.arn,
    ],
    aws_secretsmanager_secret.app_extra[*].arn,
    aws_secretsmanager_secret.temporal_db[*].arn,
    aws_secretsmanager_secret.temporal_ui_client[*].arn,
  ))
}

module "external_secrets_role" {
  source = "./modules/irsa-role"

  name              = "${local.name}-external-secrets"
  oidc_provider_arn = module.eks.oidc_provider_arn
  service_account   = "external-secrets:external-secrets"

  attach_external_secrets_policy        = true
  external_secrets_secrets_manager_arns = local.eso_secret_arns
  external_secrets_kms_key_arns         = [aws_kms_key.data.arn]
}

resource "helm_release" "external_secrets" {
  name             = "external-secrets"
  repository       = "https://charts.external-secrets.io"
  chart            = "external-secrets"
  version          = var.external_secrets_chart_version
  namespace        = "external-secrets"
  create_namespace = true

  wait    = true
  timeout = 600

  values = [yamlencode({
    installCRDs = true
    serviceAccount = {
      create = true
      name   = "external-secrets"
      annotations = {
        "eks.amazonaws.com/role-arn" = module.external_secrets_role.arn
      }
    }
  })]

  depends_on = [module.eks]
}
