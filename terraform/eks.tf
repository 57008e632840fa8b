# EKS with one managed node group in the private subnets. IRSA (the OIDC provider) is on: the
# vidproc pods get their AWS permissions from the role in irsa.tf.
module "eks" {
  # checkov:skip=CKV_TF_1: a Terraform Registry module pinned to an exact release version; the registry serves that version's archive
  source  = "terraform-aws-modules/eks/aws"
  version = "21.19.0"

  name               = local.name
  kubernetes_version = var.kubernetes_version

  endpoint_public_access       = var.cluster_endpoint_public_access
  endpoint_public_access_cidrs = var.cluster_endpoint_public_access_cidrs
  endpoint_private_access      = true

  # The identity that runs terraform administers the cluster (helm_release needs it).
  enable_cluster_creator_admin_permissions = true

  deletion_protection = var.deletion_protection
  enable_irsa         = true

  # Control-plane logs, kept a year.
  enabled_log_types                      = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
  cloudwatch_log_group_retention_in_days = 365

  addons = {
    coredns    = {}
    kube-proxy = {}
    vpc-cni = {
      before_compute = true
      # Enforce the chart's NetworkPolicies (off by default in the VPC CNI).
      configuration_values = jsonencode({ enableNetworkPolicy = "true" })
    }
    # The HorizontalPodAutoscalers of the chart read CPU/memory from the metrics API.
    metrics-server = {}
  }

  vpc_id                   = module.vpc.vpc_id
  subnet_ids               = module.vpc.private_subnets
  control_plane_subnet_ids = module.vpc.private_subnets

  eks_managed_node_groups = {
    default = {
      ami_type       = "AL2023_x86_64_STANDARD"
      instance_types = var.node_instance_types
      min_size       = var.node_min_size
      max_size       = var.node_max_size
      desired_size   = var.node_desired_size
    }
  }
}
