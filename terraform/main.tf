data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_availability_zones" "available" {
  # checkov:skip=CKV_AWS_394: only the first var.az_count zones (sorted by name) are used, so a zone AWS adds later does not change the set
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  name       = "${var.name}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  azs        = slice(data.aws_availability_zones.available.names, 0, var.az_count)

  # The chart's ServiceAccount (namespace:name) that the IRSA role trusts.
  service_account = "vidproc"

  tags = merge(var.tags, {
    Project     = "vidproc"
    Environment = var.environment
    ManagedBy   = "terraform"
  })
}
