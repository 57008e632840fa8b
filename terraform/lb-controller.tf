# The AWS Load Balancer Controller: it makes the internal NLB in front of the api from the chart's
# Service (service.awsLoadBalancer), which API Gateway reaches through its VPC link (apigw.tf).
# Its IAM role comes through its ServiceAccount (IRSA), with the controller's published policy.
module "lb_controller_role" {
  source = "./modules/irsa-role"

  name              = "${local.name}-lb-controller"
  oidc_provider_arn = module.eks.oidc_provider_arn
  service_account   = "kube-system:aws-load-balancer-controller"

  attach_load_balancer_controller_policy = true
}

resource "helm_release" "lb_controller" {
  name       = "aws-load-balancer-controller"
  repository = "https://aws.github.io/eks-charts"
  chart      = "aws-load-balancer-controller"
  version    = var.lb_controller_chart_version
  namespace  = "kube-system"

  wait    = true
  timeout = 600

  values = [yamlencode({
    clusterName  = module.eks.cluster_name
    region       = var.region
    vpcId        = module.vpc.vpc_id
    replicaCount = 2
    serviceAccount = {
      create = true
      name   = "aws-load-balancer-controller"
      annotations = {
        "eks.amazonaws.com/role-arn" = module.lb_controller_role.arn
      }
    }
    # Services are the controller's only when they ask for it (loadBalancerClass), never by default.
    enableServiceMutatorWebhook = false
  })]

  depends_on = [module.eks]
}
