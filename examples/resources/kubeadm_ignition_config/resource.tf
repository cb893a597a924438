resource "kubeadm_cluster_ca" "example" {
  cluster_name  = "example"
  key_algorithm = "ECDSA-P256"
}

resource "kubeadm_bootstrap_token" "example" {
  ttl = "24h"
}

# The first control plane: kubeadm init.
resource "kubeadm_ignition_config" "init" {
  role            = "init"
  name            = "cp-0"
  cluster_ca      = kubeadm_cluster_ca.example
  bootstrap_token = kubeadm_bootstrap_token.example

  cluster {
    name                   = "example"
    kubernetes_version     = "v1.31.4"
    control_plane_endpoint = "api.example.internal:6443"
    pod_subnet             = "192.168.0.0/16"

    api_server {
      cert_sans = ["api.example.internal"]
    }
  }

  node {
    name_from = "aws"
  }
}

# Workers join with the token and pin the CA hash; they get no CA keys.
resource "kubeadm_ignition_config" "worker" {
  role             = "worker"
  name             = "pool-a"
  operating_system = "fedora-coreos"
  cluster_ca       = kubeadm_cluster_ca.example
  bootstrap_token  = kubeadm_bootstrap_token.example

  cluster {
    name                   = "example"
    kubernetes_version     = "v1.31.4"
    control_plane_endpoint = "api.example.internal:6443"
  }

  node {
    name_from = "aws"
    labels    = { pool = "a" }
  }

  files {
    path    = "/etc/motd.d/kubeadm"
    content = "managed by terraform-provider-kubeadm\n"
  }
}

# For aws_instance.user_data:
output "worker_user_data" {
  value     = kubeadm_ignition_config.worker.user_data
  sensitive = true
}
