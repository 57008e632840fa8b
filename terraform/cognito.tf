# Sign-in with user and password: a Cognito user pool. Users are created by an administrator
# (no self sign-up) and sign in with their email and password, through the hosted UI or directly
# (`aws cognito-idp initiate-auth`, USER_PASSWORD_AUTH). The API verifies their access tokens
# (app.tf: AUTH_COGNITO_USER_POOL = the pool's id, from which it derives the issuer and key set;
# AUTH_COGNITO_CLIENT_IDS = the app client), and so does API Gateway before that (apigw.tf). Members
# of the group "operator" have the operator role (AUTH_ROLES_CLAIM = cognito:groups,
# AUTH_OPERATOR_ROLES = the group's name).
resource "aws_cognito_user_pool" "this" {
  name                = local.name
  deletion_protection = var.deletion_protection ? "ACTIVE" : "INACTIVE"

  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]

  admin_create_user_config {
    allow_admin_create_user_only = true
  }

  password_policy {
    minimum_length                   = var.cognito_password_min_length
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = true
    temporary_password_validity_days = 3
  }

  # OFF, OPTIONAL (each user may add an authenticator app) or ON (every user must).
  mfa_configuration = var.cognito_mfa

  dynamic "software_token_mfa_configuration" {
    for_each = var.cognito_mfa == "OFF" ? [] : [1]
    content {
      enabled = true
    }
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }

  username_configuration {
    case_sensitive = false
  }
}

# The operators: a group whose name is the API's operator role (cognito:groups in the access token).
resource "aws_cognito_user_group" "operator" {
  name         = "operator"
  user_pool_id = aws_cognito_user_pool.this.id
  description  = "vidproc operators: read every video and act on them (the API's operator role)"
}

# The hosted UI (sign-in pages) at https://<prefix>.auth.<region>.amazoncognito.com.
resource "aws_cognito_user_pool_domain" "this" {
  domain       = var.cognito_domain_prefix != "" ? var.cognito_domain_prefix : "${local.name}-${local.account_id}"
  user_pool_id = aws_cognito_user_pool.this.id
}

# The app client of the API's users: public (no secret, so the CLI and single-page apps can sign
# in), password sign-in and the hosted UI (authorization code with PKCE), tokens valid an hour.
resource "aws_cognito_user_pool_client" "api" {
  name         = "${local.name}-api"
  user_pool_id = aws_cognito_user_pool.this.id

  generate_secret = false
  explicit_auth_flows = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
  ]
  prevent_user_existence_errors = "ENABLED"
  enable_token_revocation       = true

  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = ["openid", "email", "profile"]
  supported_identity_providers         = ["COGNITO"]
  callback_urls                        = var.cognito_callback_urls
  logout_urls                          = var.cognito_logout_urls

  # Within the API's AUTH_MAX_TOKEN_LIFETIME (24h).
  access_token_validity  = 60
  id_token_validity      = 60
  refresh_token_validity = 30
  token_validity_units {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "days"
  }
}

locals {
  # https://cognito-idp.<region>.amazonaws.com/<pool id>: the `iss` of the pool's tokens.
  cognito_issuer    = "https://${aws_cognito_user_pool.this.endpoint}"
  cognito_client_id = [aws_cognito_user_pool_client.api.id]
}
