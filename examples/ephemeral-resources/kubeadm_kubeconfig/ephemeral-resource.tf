# A short-lived admin certificate, issued on every run and never stored
# (Terraform 1.10 and later).
ephemeral "kubeadm_kubeconfig" "admin" {
  cluster_ca         = kubeadm_cluster_ca.prod
  server             = "https://api.prod.example.com:6443"
  kubernetes_version = "v1.31.4"
  validity           = "1h"
}

provider "kubernetes" {
  host                   = ephemeral.kubeadm_kubeconfig.admin.host
  cluster_ca_certificate = ephemeral.kubeadm_kubeconfig.admin.cluster_ca_certificate
  client_certificate     = ephemeral.kubeadm_kubeconfig.admin.client_certificate
  client_key             = ephemeral.kubeadm_kubeconfig.admin.client_key
}

provider "helm" {
  kubernetes = {
    host                   = ephemeral.kubeadm_kubeconfig.admin.host
    cluster_ca_certificate = ephemeral.kubeadm_kubeconfig.admin.cluster_ca_certificate
    client_certificate     = ephemeral.kubeadm_kubeconfig.admin.client_certificate
    client_key             = ephemeral.kubeadm_kubeconfig.admin.client_key
  }
}
