provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}

# The chart is installed with the EKS cluster's endpoint and a short-lived token from
# `aws eks get-token` (the AWS CLI must be on PATH where terraform runs). The identity running
# terraform is the cluster's admin (enable_cluster_creator_admin_permissions in eks.tf).
provider "helm" {
  kubernetes = {
    host                   = module.eks.cluster_endpoint
    cluster_ca_certificate = base64decode(module.eks.cluster_certificate_authority_data)
    exec = {
      api_version = "client.authentication.k8s.io/v1beta1"
      command     = "aws"
      args        = ["eks", "get-token", "--cluster-name", module.eks.cluster_name, "--region", var.region]
    }
  }
}
