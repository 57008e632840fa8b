################################################################################
# General
################################################################################

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name prefix of every resource (lowercase letters, digits and hyphens)."
  type        = string
  default     = "vidproc"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name must be 2-21 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (prod, staging, ...); part of resource names and tags."
  type        = string
  default     = "prod"
}

variable "tags" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}

variable "deletion_protection" {
  description = "Protect the database and the EKS cluster from deletion. Turn off (and apply) before `terraform destroy`."
  type        = bool
  default     = true
}

################################################################################
# Network
################################################################################

variable "vpc_cidr" {
  description = "CIDR block of the VPC."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Number of availability zones to spread subnets over (2 or 3)."
  type        = number
  default     = 3

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (cheaper) instead of one per zone (survives a zone outage)."
  type        = bool
  default     = false
}

################################################################################
# EKS
################################################################################

variable "kubernetes_version" {
  description = "Kubernetes version of the EKS control plane and node group."
  type        = string
  default     = "1.33"
}

variable "cluster_endpoint_public_access" {
  description = "Expose the EKS API endpoint publicly (restricted to cluster_endpoint_public_access_cidrs). Needed when terraform/helm run from outside the VPC."
  type        = bool
  default     = true
}

variable "cluster_endpoint_public_access_cidrs" {
  description = "CIDR blocks allowed to reach the public EKS API endpoint. Narrow this to your office/CI addresses."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "node_instance_types" {
  description = "EC2 instance types of the managed node group."
  type        = list(string)
  default     = ["m6i.large"]
}

variable "node_min_size" {
  description = "Minimum number of nodes."
  type        = number
  default     = 2
}

variable "node_max_size" {
  description = "Maximum number of nodes."
  type        = number
  default     = 6
}

variable "node_desired_size" {
  description = "Initial number of nodes (ignored by EKS after creation)."
  type        = number
  default     = 3
}

################################################################################
# RDS PostgreSQL
################################################################################

variable "db_engine_version" {
  description = "PostgreSQL major engine version (minor versions are upgraded by AWS: auto_minor_version_upgrade)."
  type        = string
  default     = "17"
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.m6g.large"
}

variable "db_allocated_storage" {
  description = "Initial storage in GiB."
  type        = number
  default     = 50
}

variable "db_max_allocated_storage" {
  description = "Storage autoscaling ceiling in GiB."
  type        = number
  default     = 500
}

variable "db_multi_az" {
  description = "Run the database as a Multi-AZ deployment (a standby in another zone)."
  type        = bool
  default     = true
}

variable "db_backup_retention_days" {
  description = "Days of automated backups: the point-in-time recovery window (restore to any second in it), 1-35. 0 (no backups, no PITR) is refused."
  type        = number
  default     = 14

  validation {
    condition     = var.db_backup_retention_days >= 1 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be between 1 and 35 (0 would turn off backups and point-in-time recovery)."
  }
}

variable "db_skip_final_snapshot" {
  description = "Destroy the database without a final snapshot. Keep false in production: the final snapshot is the last copy once the instance is gone (its automated backups are kept too: delete_automated_backups = false)."
  type        = bool
  default     = false
}

variable "db_backup_replica_region" {
  description = "Another region to copy the database's automated backups to (point-in-time recovery there if this region is lost), e.g. eu-central-1. Empty: no copy."
  type        = string
  default     = ""

  validation {
    condition     = var.db_backup_replica_region == "" || (can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.db_backup_replica_region)) && var.db_backup_replica_region != var.region)
    error_message = "db_backup_replica_region must be empty or an AWS region other than region."
  }
}

variable "db_backup_replica_retention_days" {
  description = "Days of the copied backups in db_backup_replica_region (their point-in-time recovery window), 1-35."
  type        = number
  default     = 7

  validation {
    condition     = var.db_backup_replica_retention_days >= 1 && var.db_backup_replica_retention_days <= 35
    error_message = "db_backup_replica_retention_days must be between 1 and 35."
  }
}

variable "db_ca_bundle_url" {
  description = "URL of the PEM bundle that signs RDS certificates (the pods verify the database with it). Empty: the region's bundle from truststore.pki.rds.amazonaws.com."
  type        = string
  default     = ""
}

################################################################################
# Amazon MQ (RabbitMQ)
################################################################################

variable "mq_engine_version" {
  description = "RabbitMQ engine version on Amazon MQ: 3.13 or 4.x (quorum queues, which the bridge declares, need 3.13 or later; 4.x runs on mq.m7g only and mirrors no classic queue)."
  type        = string
  default     = "3.13"

  validation {
    condition     = can(regex("^(3\\.13|4\\.[0-9]+)$", var.mq_engine_version))
    error_message = "mq_engine_version must be 3.13 or 4.x: earlier versions have no quorum queues on Amazon MQ."
  }
}

variable "mq_instance_type" {
  description = "Amazon MQ broker instance type (mq.t3.micro is for SINGLE_INSTANCE only; RabbitMQ 4.x needs mq.m7g.*)."
  type        = string
  default     = "mq.m5.large"
}

variable "mq_deployment_mode" {
  description = "CLUSTER_MULTI_AZ (three nodes over three zones: quorum queues keep a copy of every message on each, so a node or a zone can be lost without losing messages) or SINGLE_INSTANCE (one node: its queues are on one EBS volume, and the broker is down while it is replaced)."
  type        = string
  default     = "CLUSTER_MULTI_AZ"

  validation {
    condition     = contains(["SINGLE_INSTANCE", "CLUSTER_MULTI_AZ"], var.mq_deployment_mode)
    error_message = "mq_deployment_mode must be SINGLE_INSTANCE or CLUSTER_MULTI_AZ."
  }
}

variable "mq_username" {
  description = "RabbitMQ user vidproc connects as (its password is generated and kept in Secrets Manager)."
  type        = string
  default     = "vidproc"
}

################################################################################
# Storage and registry
################################################################################

variable "media_bucket_force_destroy" {
  description = "Allow `terraform destroy` to delete the media bucket with its objects. Keep false in production."
  type        = bool
  default     = false
}

variable "ecr_keep_images" {
  description = "Number of tagged images the ECR lifecycle policy keeps."
  type        = number
  default     = 50
}

################################################################################
# Application (the Helm release)
################################################################################

variable "install_chart" {
  description = "Install the chart with helm_release. Turn off to create only the infrastructure (first apply, or when a CD tool deploys)."
  type        = bool
  default     = true
}

variable "image_tag" {
  description = "Tag of the vidproc image in the ECR repository to deploy (tags are immutable: one per release)."
  type        = string
  default     = "0.1.0"
}

variable "k8s_namespace" {
  description = "Kubernetes namespace of the release."
  type        = string
  default     = "vidproc"
}

variable "temporal_mode" {
  description = "Where Temporal runs: \"cloud\" (Temporal Cloud or any cluster of yours at temporal_address) or \"cluster\" (the official chart in this EKS cluster, on an RDS PostgreSQL instance of its own: temporal.tf)."
  type        = string
  default     = "cloud"

  validation {
    condition     = contains(["cloud", "cluster"], var.temporal_mode)
    error_message = "temporal_mode must be cloud or cluster."
  }
}

variable "temporal_address" {
  description = "Temporal frontend host:port with temporal_mode = \"cloud\" (Temporal Cloud: <region>.<cloud>.api.temporal.io:7233 with an API key). Ignored in the cluster mode."
  type        = string
  default     = ""
}

variable "temporal_chart_version" {
  description = "Version of the official Temporal Helm chart (go.temporal.io/helm-charts) with temporal_mode = \"cluster\"."
  type        = string
  default     = "1.6.0"
}

variable "temporal_db_instance_class" {
  description = "RDS instance class of Temporal's database (temporal_mode = \"cluster\")."
  type        = string
  default     = "db.t4g.medium"
}

variable "temporal_db_password_version" {
  description = "Bump to give Temporal's database user a new password (then restart Temporal: docs/deploy-aws.md)."
  type        = number
  default     = 1
}

variable "temporal_history_shards" {
  description = "Temporal's history shards (fixed once the cluster is created; 512 suits most deployments)."
  type        = number
  default     = 512
}

variable "temporal_ui_oidc" {
  description = "Sign in to the Temporal Web UI with the Cognito pool (OIDC; the UI is reached by kubectl port-forward on localhost:8080)."
  type        = bool
  default     = true
}

variable "temporal_namespace" {
  description = "Temporal namespace (Temporal Cloud: <namespace>.<account>)."
  type        = string
  default     = "default"
}

variable "temporal_task_queue" {
  description = "Temporal task queue of the video workflows."
  type        = string
  default     = "video-status"
}

variable "temporal_tls" {
  description = "TLS to the Temporal frontend (an API key turns it on anyway)."
  type        = bool
  default     = false
}

variable "temporal_api_key" {
  description = "Temporal Cloud API key (empty for a self-hosted cluster without auth)."
  type        = string
  default     = ""
  sensitive   = true
}

variable "auth_jwt_secret" {
  description = "HS256 secret for API tokens besides those of auth_jwks_url (at least 32 characters), e.g. for `vidproc token`; delivered through Secrets Manager. Only with auth_jwks_url: with the Cognito pool the API refuses it. Empty: none."
  type        = string
  default     = ""
  sensitive   = true

  validation {
    condition     = var.auth_jwt_secret == "" || length(var.auth_jwt_secret) >= 32
    error_message = "auth_jwt_secret must be at least 32 characters."
  }

  validation {
    condition     = var.auth_jwt_secret == "" || var.auth_jwks_url != ""
    error_message = "auth_jwt_secret needs auth_jwks_url: with the Cognito pool (auth_jwks_url empty) the pool is the API's only issuer, and it refuses AUTH_JWT_SECRET at start."
  }
}

variable "api_cursor_secret_version" {
  description = "Bump to give the API a new paging-cursor key (API_CURSOR_SECRET, secrets.tf); cursors handed out before then are refused (422) and clients start their listing again."
  type        = number
  default     = 1
}

variable "auth_jwks_url" {
  description = "JWKS URL of another identity provider instead of the Cognito pool (RS256/ES256 tokens). Empty: the pool's (cognito.tf)."
  type        = string
  default     = ""
}

variable "auth_issuer" {
  description = "Expected `iss` of API tokens with auth_jwks_url (with Cognito: the pool's issuer)."
  type        = string
  default     = ""
}

variable "auth_audience" {
  description = "Expected `aud` of API tokens with auth_jwks_url (Cognito access tokens have none: their client_id is checked)."
  type        = string
  default     = ""
}

variable "alert_webhook_url" {
  description = "Webhook that receives stuck-video alerts (Slack-compatible JSON); empty for logs only."
  type        = string
  default     = ""
  sensitive   = true
}

variable "chart_values" {
  description = "Extra values for the chart, merged over the ones this configuration sets (replicas, resources, ingress, ...)."
  type        = any
  default     = {}
}

variable "app_existing_secret" {
  description = "Name of an existing Kubernetes Secret with the app's secret variables (DATABASE_URL, AMQP_URL, API_CURSOR_SECRET, ...), managed by you. Empty (the default): the chart's ExternalSecret makes it from Secrets Manager, and its bootstrap Job makes vidproc's own database and broker users."
  type        = string
  default     = ""
}

################################################################################
# Cluster add-ons
################################################################################

variable "lb_controller_chart_version" {
  description = "Version of the AWS Load Balancer Controller chart (aws.github.io/eks-charts)."
  type        = string
  default     = "1.14.0"
}

variable "external_secrets_chart_version" {
  description = "Version of the External Secrets Operator chart (charts.external-secrets.io); it must serve external-secrets.io/v1."
  type        = string
  default     = "0.19.2"
}

################################################################################
# Credentials (secrets.tf)
################################################################################

variable "db_app_username" {
  description = "vidproc's own PostgreSQL user (its rotation twin is <this>_clone)."
  type        = string
  default     = "vidproc_app"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,56}$", var.db_app_username))
    error_message = "db_app_username must be a lowercase PostgreSQL name of at most 57 characters (the rotation appends _clone)."
  }
}

variable "db_app_rotation_days" {
  description = "Days between rotations of vidproc's database password (alternating users: the previous one stays valid a whole period)."
  type        = number
  default     = 30
}

variable "db_rotation_function_version" {
  description = "Version of AWS's SecretsManagerRDSPostgreSQLRotationMultiUser application (Serverless Application Repository)."
  type        = string
  default     = "1.1.618"
}

variable "mq_app_username" {
  description = "vidproc's own RabbitMQ user (mq_username is the broker's admin, used only to make it)."
  type        = string
  default     = "vidproc-app"
}

################################################################################
# Sign-in (cognito.tf) and the public API (apigw.tf)
################################################################################

variable "cognito_mfa" {
  description = "MFA of the Cognito pool: OFF, OPTIONAL (users may add an authenticator app) or ON (every user must)."
  type        = string
  default     = "OPTIONAL"

  validation {
    condition     = contains(["OFF", "OPTIONAL", "ON"], var.cognito_mfa)
    error_message = "cognito_mfa must be OFF, OPTIONAL or ON."
  }
}

variable "cognito_password_min_length" {
  description = "Shortest password the pool accepts (lower, upper, digit and symbol are required too)."
  type        = number
  default     = 12
}

variable "cognito_domain_prefix" {
  description = "Prefix of the hosted UI's domain (<prefix>.auth.<region>.amazoncognito.com). Empty: <name>-<environment>-<account id>."
  type        = string
  default     = ""
}

variable "cognito_callback_urls" {
  description = "Where the hosted UI may send users back after sign-in (your front end)."
  type        = list(string)
  default     = ["http://localhost:3000/callback"]
}

variable "cognito_logout_urls" {
  description = "Where the hosted UI may send users after sign-out."
  type        = list(string)
  default     = ["http://localhost:3000/"]
}

variable "api_domain_name" {
  description = "Custom domain of the public API, e.g. api.example.com (an ACM certificate is made for it). Empty: the execute-api URL."
  type        = string
  default     = ""
}

variable "api_route53_zone_id" {
  description = "Route 53 hosted zone of api_domain_name: the certificate's validation and the alias record go there. Empty: add them yourself (output api_certificate_validation_records)."
  type        = string
  default     = ""
}

variable "api_throttling_rate_limit" {
  description = "Requests per second API Gateway lets through (all clients together, steady state)."
  type        = number
  default     = 200
}

variable "api_throttling_burst_limit" {
  description = "Requests API Gateway lets through in a burst above the rate limit."
  type        = number
  default     = 400
}
