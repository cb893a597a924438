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

# The cluster PKI: Kubernetes, front-proxy and etcd CAs, service-account keys.
resource "kubeadm_cluster_ca" "cluster" {
  cluster_name  = "quickstart"
  key_algorithm = "ECDSA-P256"
}

# The token joining nodes present; it lives a day.
resource "kubeadm_bootstrap_token" "join" {
  description = "quickstart join token"
  ttl         = "24h"
}

output "ca_cert_hash" {
  description = "What joining nodes pin: kubeadm's --discovery-token-ca-cert-hash."
  value       = kubeadm_cluster_ca.cluster.ca_cert_hash
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
