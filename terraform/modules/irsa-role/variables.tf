variable "name" {
  description = "Name of the role (as is, no generated suffix)."
  type        = string
}

variable "oidc_provider_arn" {
  description = "The EKS cluster's OIDC provider."
  type        = string
}

variable "service_account" {
  description = "The ServiceAccount that may assume the role, as namespace:name."
  type        = string
}

# The permissions, as the registry module names them (each defaults to its default there).
variable "permissions" {
  description = "Policy statements of the role's own policy, by sid (the registry module's permissions). Null: none."
  type        = any
  default     = null
}

variable "attach_external_secrets_policy" {
  description = "Attach the External Secrets Operator's policy (read external_secrets_secrets_manager_arns, decrypt with external_secrets_kms_key_arns)."
  type        = bool
  default     = false
}

variable "external_secrets_secrets_manager_arns" {
  description = "Secrets Manager secrets the External Secrets policy may read."
  type        = list(string)
  default     = []
}

variable "external_secrets_kms_key_arns" {
  description = "KMS keys the External Secrets policy may decrypt those secrets with."
  type        = list(string)
  default     = []
}

variable "attach_load_balancer_controller_policy" {
  description = "Attach the AWS Load Balancer Controller's published policy."
  type        = bool
  default     = false
}
