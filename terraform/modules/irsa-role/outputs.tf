output "arn" {
  description = "ARN of the role (the ServiceAccount's eks.amazonaws.com/role-arn)."
  value       = module.role.arn
}
