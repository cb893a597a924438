# Render without storing, e.g. for a bare-metal provisioner that serves the
# config itself. The result holds keys and tokens: keep it out of logs.
data "kubeadm_ignition_config" "worker" {
  role            = "worker"
  cluster_ca      = kubeadm_cluster_ca.example
  bootstrap_token = kubeadm_bootstrap_token.example

  cluster {
    name                   = "example"
    kubernetes_version     = "v1.30.6"
    control_plane_endpoint = "api.example.internal:6443"
  }
}

output "worker_config_sha512" {
  value = data.kubeadm_ignition_config.worker.rendered_sha512
}
