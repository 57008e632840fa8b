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
  value       = module.rds.db_instance_endpoint
}

output "db_master_user_secret_arn" {
  description = "Secrets Manager secret (managed by RDS) with the database master user's credentials."
  value       = module.rds.db_instance_master_user_secret_arn
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
  description = "Secrets Manager secret with the broker user's credentials."
  value       = aws_secretsmanager_secret.mq.arn
}

output "media_bucket" {
  description = "Name of the private S3 bucket for videos and images."
  value       = aws_s3_bucket.media.id
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts vidproc's data at rest."
  value       = aws_kms_key.data.arn
}

output "app_role_arn" {
  description = "IAM role the vidproc pods assume (IRSA), set as eks.amazonaws.com/role-arn on their ServiceAccount."
  value       = module.vidproc_irsa.arn
}

output "helm_release_status" {
  description = "Status of the vidproc Helm release (null when install_chart is false)."
  value       = try(helm_release.vidproc[0].status, null)
}
