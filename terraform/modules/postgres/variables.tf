variable "create" {
  description = "Create the instance (and its security group); false: nothing."
  type        = bool
  default     = true
}

variable "identifier" {
  description = "RDS instance identifier; also the prefix of its security group, monitoring role and final snapshot."
  type        = string
}

variable "purpose" {
  description = "Whose database it is, in the security group's descriptions (\"PostgreSQL for <purpose>\", \"the <purpose> pods\")."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the security group."
  type        = string
}

variable "db_subnet_group_name" {
  description = "DB subnet group the instance runs in."
  type        = string
}

variable "client_security_group_id" {
  description = "The only security group PostgreSQL (5432) is reachable from (the EKS nodes')."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key of the storage, Performance Insights, the log group and the RDS-managed master secret."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL engine version (its major version names the parameter group family)."
  type        = string
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
}

variable "allocated_storage" {
  description = "Initial storage in GiB."
  type        = number
}

variable "max_allocated_storage" {
  description = "Storage autoscaling ceiling in GiB."
  type        = number
}

variable "db_name" {
  description = "Name of the database created with the instance."
  type        = string
}

variable "username" {
  description = "Master user name."
  type        = string
}

variable "manage_master_user_password" {
  description = "RDS generates the master password and keeps (and rotates) it in Secrets Manager, encrypted with kms_key_arn. False: password_wo."
  type        = bool
}

variable "password_wo" {
  description = "The master password when manage_master_user_password is false (write-only: in neither plan nor state)."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "password_wo_version" {
  description = "Bump to set password_wo again."
  type        = number
  default     = null
}

variable "multi_az" {
  description = "A standby in another zone."
  type        = bool
}

variable "backup_retention_days" {
  description = "Days of automated backups (the point-in-time recovery window)."
  type        = number
}

variable "deletion_protection" {
  description = "Refuse to delete the instance."
  type        = bool
}

variable "skip_final_snapshot" {
  description = "Destroy without a final snapshot."
  type        = bool
}

variable "parameters" {
  description = "Parameters besides rds.force_ssl = 1 (list of { name, value })."
  type        = list(map(string))
  default     = []
}
