output "region" {
  description = "AWS region of the deployment."
  value       = var.region
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.vpc.vpc_id
}

output "cluster_name" {
  description = "Name of the EKS cluster (aws eks update-kubeconfig --name <this>)."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "Endpoint of the EKS API server."
  value       = module.eks.cluster_endpoint
}

output "kubeconfig_command" {
  description = "Command that writes a kubeconfig entry for the cluster."
  value       = "aws eks update-kubeconfig --region ${var.region} --name ${module.eks.cluster_name}"
}

output "ecr_repository_url" {
  description = "ECR repository to push the vidproc image to (docker push <this>:<tag>)."
  value       = aws_ecr_repository.vidproc.repository_url
}

output "db_endpoint" {
  description = "RDS PostgreSQL address:port."
  value       = module.vidproc_db.db_instance_endpoint
}

output "db_master_user_secret_arn" {
  description = "Secrets Manager secret (managed by RDS) with the database master user's credentials."
  value       = module.vidproc_db.db_instance_master_user_secret_arn
}

output "db_backup_replica" {
  description = "Where the database's automated backups are copied (region and the replication's id), or null when db_backup_replica_region is empty."
  value = var.db_backup_replica_region == "" ? null : {
    region = var.db_backup_replica_region
    id     = aws_db_instance_automated_backups_replication.this[0].id
  }
}

output "mq_amqp_endpoint" {
  description = "AMQPS endpoint of the Amazon MQ broker."
  value       = aws_mq_broker.this.instances[0].endpoints[0]
}

output "mq_console_url" {
  description = "RabbitMQ management console of the broker (private)."
  value       = aws_mq_broker.this.instances[0].console_url
}

output "mq_credentials_secret_arn" {
  description = "Secrets Manager secret with the broker admin's credentials (used only to make vidproc's own broker user)."
  value       = aws_secretsmanager_secret.mq["admin"].arn
}

output "media_bucket" {
  description = "Name of the private S3 bucket for videos and images."
  value       = module.media_bucket.id
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts vidproc's data at rest."
  value       = aws_kms_key.data.arn
}

output "app_role_arn" {
  description = "IAM role the vidproc pods assume (IRSA), set as eks.amazonaws.com/role-arn on their ServiceAccount."
  value       = module.vidproc_role.arn
}

output "helm_release_status" {
  description = "Status of the vidproc Helm release (null when install_chart is false)."
  value       = try(helm_release.vidproc[0].status, null)
}

output "api_url" {
  description = "Public URL of the API (API Gateway: the custom domain when api_domain_name is set, else the execute-api URL). Every request needs a Cognito access token."
  value       = local.api_url
}

output "api_certificate_validation_records" {
  description = "DNS records that validate the custom domain's certificate, to add yourself when api_route53_zone_id is empty (and the CNAME/alias of api_domain_name to api_gateway_target_domain)."
  value       = var.api_domain_name == "" ? [] : [for o in aws_acm_certificate.api[0].domain_validation_options : { name = o.resource_record_name, type = o.resource_record_type, value = o.resource_record_value }]
}

output "api_gateway_target_domain" {
  description = "Where api_domain_name must point (CNAME or alias) when Terraform does not manage its DNS record; null without a custom domain."
  value       = try(aws_apigatewayv2_domain_name.api[0].domain_name_configuration[0].target_domain_name, null)
}

output "api_access_log_group" {
  description = "CloudWatch log group of API Gateway's access logs."
  value       = aws_cloudwatch_log_group.api_access.name
}

output "cognito_user_pool_id" {
  description = "Cognito user pool of the API's users (aws cognito-idp admin-create-user --user-pool-id <this>)."
  value       = aws_cognito_user_pool.this.id
}

output "cognito_client_id" {
  description = "App client id for password sign-in (aws cognito-idp initiate-auth --client-id <this> --auth-flow USER_PASSWORD_AUTH) and the hosted UI."
  value       = aws_cognito_user_pool_client.api.id
}

output "cognito_issuer" {
  description = "Issuer of the pool's tokens (the API derives it from AUTH_COGNITO_USER_POOL); its key set is <this>/.well-known/jwks.json."
  value       = local.cognito_issuer
}

output "cognito_hosted_ui_url" {
  description = "Hosted sign-in UI of the pool."
  value       = "https://${aws_cognito_user_pool_domain.this.domain}.auth.${var.region}.amazoncognito.com"
}

output "temporal_address" {
  description = "Temporal frontend the pods connect to."
  value       = local.temporal_effective_addr
}

output "temporal_web_ui_command" {
  description = "How an operator opens the Temporal Web UI (temporal_mode = \"cluster\"): a port-forward, then http://localhost:8080."
  value       = local.temporal_in_cluster ? "kubectl -n ${local.temporal_k8s_namespace} port-forward svc/temporal-web 8080:8080" : "Temporal Cloud: https://cloud.temporal.io"
}

output "db_app_secret_arn" {
  description = "Secrets Manager secret of vidproc's own database user (rotated, alternating users)."
  value       = aws_secretsmanager_secret.db_app.arn
}

output "mq_app_secret_arn" {
  description = "Secrets Manager secret of vidproc's own broker user."
  value       = aws_secretsmanager_secret.mq["app"].arn
}
