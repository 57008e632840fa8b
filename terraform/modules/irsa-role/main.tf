# An IAM role that one ServiceAccount of the EKS cluster assumes through its OIDC provider (IRSA),
# with the permissions given: terraform-aws-modules/iam/aws's iam-role-for-service-accounts (the v6
# name of iam-role-for-service-accounts-eks), pinned here for every such role.
module "role" {
  # checkov:skip=CKV_TF_1: a Terraform Registry module pinned to an exact release version; the registry serves that version's archive
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts"
  version = "6.5.0"

  name            = var.name
  use_name_prefix = false

  oidc_providers = {
    main = {
      provider_arn               = var.oidc_provider_arn
      namespace_service_accounts = [var.service_account]
    }
  }

  permissions = var.permissions

  attach_external_secrets_policy        = var.attach_external_secrets_policy
  external_secrets_secrets_manager_arns = var.external_secrets_secrets_manager_arns
  external_secrets_kms_key_arns         = var.external_secrets_kms_key_arns

  attach_load_balancer_controller_policy = var.attach_load_balancer_controller_policy
}
