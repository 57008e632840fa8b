# The public front door: an HTTP API (API Gateway v2) that checks the caller's Cognito token (JWT
# authorizer), throttles, logs every request, and passes it through a VPC link to the internal NLB
# the AWS Load Balancer Controller made for the api Service (the chart's service.awsLoadBalancer).
# Nothing else reaches that NLB: its security group admits the VPC link only.
#
# API Gateway answers within 30 seconds and does not stream: a live stream (SSE) is delivered when
# it ends, so the chart ends them after 25 s (SSE_MAX_DURATION) and clients reconnect with
# Last-Event-ID (they miss nothing; app.tf).

locals {
  # The NLB's name: the chart's Service asks the controller for it, and Terraform finds it by it.
  api_nlb_name = "${local.name}-api"
}

resource "aws_security_group" "api_vpc_link" {
  name        = "${local.name}-api-vpc-link"
  description = "API Gateway VPC link to the api NLB"
  vpc_id      = module.vpc.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "api_vpc_link_to_nlb" {
  security_group_id            = aws_security_group.api_vpc_link.id
  description                  = "HTTP to the api NLB"
  from_port                    = 80
  to_port                      = 80
  ip_protocol                  = "tcp"
  referenced_security_group_id = aws_security_group.api_nlb.id
}

# The NLB's frontend security group (given to the controller through the Service's annotation; the
# controller adds the rules from it to the pods on the nodes' security group).
resource "aws_security_group" "api_nlb" {
  # checkov:skip=CKV2_AWS_5: attached to the NLB by the AWS Load Balancer Controller (the chart's Service annotation aws-load-balancer-security-groups), outside Terraform
  name        = "${local.name}-api-nlb"
  description = "The api NLB: HTTP from the API Gateway VPC link only"
  vpc_id      = module.vpc.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "api_nlb_from_vpc_link" {
  # checkov:skip=CKV_AWS_260: the source is the VPC link's security group (referenced_security_group_id), not 0.0.0.0/0; checkov reads a rule without cidr_ipv4 as open
  security_group_id            = aws_security_group.api_nlb.id
  description                  = "HTTP from the API Gateway VPC link"
  from_port                    = 80
  to_port                      = 80
  ip_protocol                  = "tcp"
  referenced_security_group_id = aws_security_group.api_vpc_link.id
}

resource "aws_vpc_security_group_egress_rule" "api_nlb_to_pods" {
  security_group_id = aws_security_group.api_nlb.id
  description       = "To the api pods (IP targets) and their health checks, inside the VPC"
  from_port         = 0
  to_port           = 65535
  ip_protocol       = "tcp"
  cidr_ipv4         = var.vpc_cidr
}

resource "aws_apigatewayv2_vpc_link" "api" {
  name               = "${local.name}-api"
  security_group_ids = [aws_security_group.api_vpc_link.id]
  subnet_ids         = module.vpc.private_subnets
}

resource "aws_apigatewayv2_api" "api" {
  name          = "${local.name}-api"
  protocol_type = "HTTP"
  description   = "vidproc API (Cognito JWT, VPC link to the api NLB)"
  # With a custom domain, only the domain answers.
  disable_execute_api_endpoint = var.api_domain_name != ""
}

resource "aws_apigatewayv2_authorizer" "cognito" {
  api_id           = aws_apigatewayv2_api.api.id
  name             = "cognito"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer = local.cognito_issuer
    # Access tokens carry client_id (no aud): API Gateway checks it against these.
    audience = local.cognito_client_id
  }
}

# The NLB exists once the chart's Service does (the controller makes it): read after the release.
data "aws_lb" "api" {
  count = var.install_chart ? 1 : 0
  name  = local.api_nlb_name

  depends_on = [helm_release.vidproc]
}

data "aws_lb_listener" "api" {
  count             = var.install_chart ? 1 : 0
  load_balancer_arn = data.aws_lb.api[0].arn
  port              = 80
}

resource "aws_apigatewayv2_integration" "api" {
  count = var.install_chart ? 1 : 0

  api_id                 = aws_apigatewayv2_api.api.id
  integration_type       = "HTTP_PROXY"
  integration_method     = "ANY"
  integration_uri        = data.aws_lb_listener.api[0].arn
  connection_type        = "VPC_LINK"
  connection_id          = aws_apigatewayv2_vpc_link.api.id
  payload_format_version = "1.0"
  timeout_milliseconds   = 30000
}

# Every path needs a valid token; the API checks it again (signature, lifetime, client, roles).
resource "aws_apigatewayv2_route" "default" {
  count = var.install_chart ? 1 : 0

  api_id             = aws_apigatewayv2_api.api.id
  route_key          = "$default"
  target             = "integrations/${aws_apigatewayv2_integration.api[0].id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.cognito.id
}

resource "aws_cloudwatch_log_group" "api_access" {
  name              = "/aws/apigateway/${local.name}-api"
  retention_in_days = 365
  kms_key_id        = aws_kms_key.data.arn
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.api.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_rate_limit    = var.api_throttling_rate_limit
    throttling_burst_limit   = var.api_throttling_burst_limit
    detailed_metrics_enabled = true
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      requestId         = "$context.requestId"
      ip                = "$context.identity.sourceIp"
      requestTime       = "$context.requestTime"
      httpMethod        = "$context.httpMethod"
      path              = "$context.path"
      status            = "$context.status"
      responseLength    = "$context.responseLength"
      latency           = "$context.responseLatency"
      integrationStatus = "$context.integrationStatus"
      integrationError  = "$context.integrationErrorMessage"
      authorizerError   = "$context.authorizer.error"
      user              = "$context.authorizer.claims.sub"
    })
  }
}

# Optional: a custom domain with its certificate (ACM, validated in DNS: in api_route53_zone_id when
# given, else by you with the records in the output api_certificate_validation_records).
resource "aws_acm_certificate" "api" {
  count             = var.api_domain_name != "" ? 1 : 0
  domain_name       = var.api_domain_name
  validation_method = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "api_certificate_validation" {
  for_each = var.api_domain_name != "" && var.api_route53_zone_id != "" ? {
    for o in aws_acm_certificate.api[0].domain_validation_options : o.domain_name => o
  } : {}

  zone_id         = var.api_route53_zone_id
  name            = each.value.resource_record_name
  type            = each.value.resource_record_type
  records         = [each.value.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "api" {
  count                   = var.api_domain_name != "" ? 1 : 0
  certificate_arn         = aws_acm_certificate.api[0].arn
  validation_record_fqdns = var.api_route53_zone_id != "" ? [for r in aws_route53_record.api_certificate_validation : r.fqdn] : null
}

resource "aws_apigatewayv2_domain_name" "api" {
  count       = var.api_domain_name != "" ? 1 : 0
  domain_name = var.api_domain_name

  domain_name_configuration {
    certificate_arn = aws_acm_certificate_validation.api[0].certificate_arn
    endpoint_type   = "REGIONAL"
    security_policy = "TLS_1_2"
  }
}

resource "aws_apigatewayv2_api_mapping" "api" {
  count       = var.api_domain_name != "" ? 1 : 0
  api_id      = aws_apigatewayv2_api.api.id
  domain_name = aws_apigatewayv2_domain_name.api[0].id
  stage       = aws_apigatewayv2_stage.default.id
}

resource "aws_route53_record" "api" {
  count   = var.api_domain_name != "" && var.api_route53_zone_id != "" ? 1 : 0
  zone_id = var.api_route53_zone_id
  name    = var.api_domain_name
  type    = "A"

  alias {
    name                   = aws_apigatewayv2_domain_name.api[0].domain_name_configuration[0].target_domain_name
    zone_id                = aws_apigatewayv2_domain_name.api[0].domain_name_configuration[0].hosted_zone_id
    evaluate_target_health = false
  }
}

locals {
  # The public URL of the API (no trailing slash).
  api_url = var.api_domain_name != "" ? "https://${var.api_domain_name}" : trimsuffix(aws_apigatewayv2_stage.default.invoke_url, "/")
}
