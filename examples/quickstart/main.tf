# The quickstart: everything kubeadm needs to join nodes, with no cloud account.
# Rendered configs land in ./.kubeadm-ignition (the embedded local store).

terraform {
  required_providers {
    kubeadm = {
      source  = "kubeadm-ignition/kubeadm"
      version = ">= 0.1.0"
    }
  }
}

provider "kubeadm" {}

# The token joining nodes present; it lives a day.
resource "kubeadm_bootstrap_token" "join" {
  description = "quickstart join token"
  ttl         = "24h"
}

output "join_token_id" {
  description = "The public half of the join token."
  value       = kubeadm_bootstrap_token.join.token_id
}

output "join_token_expires_at" {
  description = "When the join token expires."
  value       = kubeadm_bootstrap_token.join.expires_at
}

output "token_secret_manifest" {
  description = "The kube-system Secret kubeadm creates for the token (sensitive)."
  value       = kubeadm_bootstrap_token.join.secret_manifest
  sensitive   = true
}
