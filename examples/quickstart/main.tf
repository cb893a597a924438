# The quickstart: a CA, a join token, a first control plane and a worker,
# with no cloud account. Rendered configs land in ./.kubeadm-ignition (the
# embedded local store); nodes would fetch them from base_url, e.g. after
# `python3 -m http.server 8080 -d .kubeadm-ignition`.

terraform {
  required_providers {
    kubeadm = {
      source  = "kubeadm-ignition/kubeadm"
      version = ">= 0.1.0"
    }
  }
}

provider "kubeadm" {
  store {
    local {
      base_url = "http://127.0.0.1:8080"
    }
  }
}

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

# The first control plane: kubeadm init with the CAs and the token seeded.
resource "kubeadm_ignition_config" "init" {
  role            = "init"
  name            = "cp-0"
  cluster_ca      = kubeadm_cluster_ca.cluster
  bootstrap_token = kubeadm_bootstrap_token.join

  cluster {
    name                   = "quickstart"
    kubernetes_version     = "v1.31.4"
    control_plane_endpoint = "api.quickstart.example.com:6443"
    pod_subnet             = "192.168.0.0/16"
  }
}

# A worker: kubeadm join, pinned to the CA hash; no private key on board.
resource "kubeadm_ignition_config" "worker" {
  role            = "worker"
  name            = "worker-0"
  cluster_ca      = kubeadm_cluster_ca.cluster
  bootstrap_token = kubeadm_bootstrap_token.join

  cluster {
    name                   = "quickstart"
    kubernetes_version     = "v1.31.4"
    control_plane_endpoint = "api.quickstart.example.com:6443"
  }

  node {
    labels = { "node.example.com/pool" = "general" }
  }
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

output "stored_configs" {
  description = "Where the full Ignition configs went (the local store)."
  value = {
    init   = kubeadm_ignition_config.init.object_url
    worker = kubeadm_ignition_config.worker.object_url
  }
}

output "worker_user_data_sha512" {
  description = "SHA-512 of the worker's rendered config, as user_data pins it."
  value       = kubeadm_ignition_config.worker.rendered_sha512
}

output "worker_user_data" {
  description = "The worker's user data: a small Ignition pointer config (the stored object's URL and its sha512), no secrets."
  value       = kubeadm_ignition_config.worker.user_data
}

output "token_secret_manifest" {
  description = "The kube-system Secret kubeadm creates for the token (sensitive)."
  value       = kubeadm_bootstrap_token.join.secret_manifest
  sensitive   = true
}
