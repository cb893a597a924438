# Render a worker from the Cluster API objects that describe it, with the
# cluster's existing CA imported into kubeadm_cluster_ca (here generated, to
# keep the example self-contained) and a fresh bootstrap token.
terraform {
  required_providers {
    kubeadm = { source = "kubeadm-ignition/kubeadm" }
  }
}

provider "kubeadm" {}

resource "kubeadm_cluster_ca" "demo" {
  cluster_name  = "demo"
  key_algorithm = "ECDSA-P256"
}

resource "kubeadm_bootstrap_token" "nodes" {
  ttl = "2h"
}

resource "kubeadm_ignition_config" "worker" {
  name            = "demo-worker-0"
  cluster_ca      = kubeadm_cluster_ca.demo
  bootstrap_token = kubeadm_bootstrap_token.nodes

  # Cluster, Machine and KubeadmConfig exported from the management cluster.
  capi_manifests = file("${path.module}/capi/worker-0.yaml")
  capi_secrets = {
    "demo-registry" = { "config.toml" = var.registry_config }
  }

  # Settings in HCL override what the manifests say.
  node {
    labels = { "node.example.com/managed-by" = "terraform" }
  }
}

variable "registry_config" {
  type      = string
  sensitive = true
  default   = "[plugins]\n"
}

output "role" {
  value = yamldecode(nonsensitive(kubeadm_ignition_config.worker.kubeadm_config)).kind
}

output "user_data" {
  value = kubeadm_ignition_config.worker.user_data
}
