terraform {
  # 1.11.1: the RDS module's write-only arguments need it.
  required_version = ">= 1.11.1"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.28"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "~> 3.0"
    }
    random = {
      source = "hashicorp/random"
      # 3.7.1: the ephemeral random_password (secrets.tf, the cursor key).
      version = "~> 3.7, >= 3.7.1"
    }
    http = {
      source  = "hashicorp/http"
      version = "~> 3.5"
    }
  }
}
