# Amazon MQ for RabbitMQ, private (reachable from the EKS nodes only, AMQP over TLS on 5671). Its
# admin user's password is generated here and kept in Secrets Manager; vidproc connects as a user
# of its own (secrets.tf), which the chart's bootstrap Job makes with the admin's credentials.
#
# Durability pairs two choices: the deployment (CLUSTER_MULTI_AZ, the default: three nodes in
# three zones) and the queue type, which the bridge chooses when it declares its queue and the
# dead-letter queue (src/amqp/topology.ts): quorum queues, replicated to the three nodes (Raft, a
# message is confirmed once a majority has it), so a node or a zone can be lost without losing a
# message. A classic queue lives on one node: on RabbitMQ 3.13 Amazon MQ mirrors it across the
# cluster by its own policy (mirroring is deprecated), on 4.x nothing replicates it. On a
# SINGLE_INSTANCE broker no queue type replicates anything.

# The broker's two users, each with a generated password kept in Secrets Manager: admin, the
# broker's own user (below; the chart's bootstrap Job uses it only to make the other), and app,
# vidproc's own (its secret's value: secrets.tf).
locals {
  mq_users = {
    admin = {
      secret_prefix = "${local.name}/amazon-mq/"
      description   = "vidproc: the RabbitMQ admin user of the ${local.name} Amazon MQ broker"
    }
    app = {
      secret_prefix = "${local.name}/amazon-mq/app-"
      description   = "vidproc: its own RabbitMQ user on the ${local.name} Amazon MQ broker"
    }
  }
}

resource "random_password" "mq" {
  for_each = local.mq_users

  length  = 32
  special = true
  # Amazon MQ forbids , : = in RabbitMQ passwords; these four are also URL-safe.
  override_special = "-_.~"
  min_lower        = 4
  min_upper        = 4
  min_numeric      = 4
}

resource "aws_secretsmanager_secret" "mq" {
  # checkov:skip=CKV2_AWS_57: Amazon MQ for RabbitMQ has no Secrets Manager rotation integration: a user's password is changed on the broker first (RabbitMQ management API; Amazon MQ cannot change RabbitMQ users), then here; docs/deploy-aws.md's alternating-users procedure does it for vidproc's user
  for_each = local.mq_users

  name_prefix = each.value.secret_prefix
  description = each.value.description
  kms_key_id  = aws_kms_key.data.arn
}

resource "aws_secretsmanager_secret_version" "mq" {
  secret_id = aws_secretsmanager_secret.mq["admin"].id
  secret_string = jsonencode({
    username = var.mq_username
    password = random_password.mq["admin"].result
    endpoint = aws_mq_broker.this.instances[0].endpoints[0]
  })
}

resource "aws_security_group" "mq" {
  name        = "${local.name}-mq"
  description = "Amazon MQ (RabbitMQ) for vidproc: reachable from the EKS nodes only"
  vpc_id      = module.vpc.vpc_id

  ingress {
    description     = "AMQPS from the EKS nodes (the vidproc pods)"
    from_port       = 5671
    to_port         = 5671
    protocol        = "tcp"
    security_groups = [module.eks.node_security_group_id]
  }

  ingress {
    description     = "RabbitMQ management (HTTPS) from the EKS nodes, for operators' port-forwards"
    from_port       = 443
    to_port         = 443
    protocol        = "tcp"
    security_groups = [module.eks.node_security_group_id]
  }
}

resource "aws_mq_broker" "this" {
  # checkov:skip=CKV_AWS_209: Amazon MQ for RabbitMQ supports only AWS-owned keys for encryption at rest (a customer-managed key is an ActiveMQ feature)
  broker_name = local.name

  engine_type                = "RabbitMQ"
  engine_version             = var.mq_engine_version
  auto_minor_version_upgrade = true
  host_instance_type         = var.mq_instance_type
  deployment_mode            = var.mq_deployment_mode

  publicly_accessible = false
  subnet_ids          = var.mq_deployment_mode == "SINGLE_INSTANCE" ? [module.vpc.private_subnets[0]] : module.vpc.private_subnets
  security_groups     = [aws_security_group.mq.id]

  encryption_options {
    use_aws_owned_key = true
  }

  user {
    username = var.mq_username
    password = random_password.mq["admin"].result
  }

  logs {
    general = true
  }

  maintenance_window_start_time {
    day_of_week = "SUNDAY"
    time_of_day = "04:00"
    time_zone   = "UTC"
  }

  lifecycle {
    precondition {
      condition     = !(var.mq_deployment_mode == "CLUSTER_MULTI_AZ" && startswith(var.mq_instance_type, "mq.t3."))
      error_message = "A CLUSTER_MULTI_AZ broker needs an mq.m5 or mq.m7g instance type (mq.t3.micro is for SINGLE_INSTANCE only)."
    }
    precondition {
      condition     = startswith(var.mq_engine_version, "3.") || startswith(var.mq_instance_type, "mq.m7g.")
      error_message = "RabbitMQ 4.x runs on mq.m7g instance types only on Amazon MQ."
    }
  }
}
