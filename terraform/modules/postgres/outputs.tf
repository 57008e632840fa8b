output "db_instance_address" {
  description = "Host name of the instance."
  value       = module.rds.db_instance_address
}

output "db_instance_port" {
  description = "Port of the instance."
  value       = module.rds.db_instance_port
}

output "db_instance_name" {
  description = "Name of the database created with the instance."
  value       = module.rds.db_instance_name
}

output "db_instance_endpoint" {
  description = "address:port of the instance."
  value       = module.rds.db_instance_endpoint
}

output "db_instance_arn" {
  description = "ARN of the instance."
  value       = module.rds.db_instance_arn
}

output "db_instance_master_user_secret_arn" {
  description = "Secrets Manager secret (managed by RDS) of the master user, when manage_master_user_password."
  value       = module.rds.db_instance_master_user_secret_arn
}

output "security_group_id" {
  description = "The instance's security group (null when create is false)."
  value       = one(aws_security_group.this[*].id)
}
