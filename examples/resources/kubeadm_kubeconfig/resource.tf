# An admin kubeconfig for the cluster whose PKI kubeadm_cluster_ca.prod holds.
resource "kubeadm_kubeconfig" "admin" {
  cluster_ca         = kubeadm_cluster_ca.prod
  server             = "https://api.prod.example.com:6443"
  kubernetes_version = "v1.31.4"

  # Issue a new certificate in the apply after the first plan that falls
  # within 30 days of its expiry.
  renew_before = "720h"
}

output "admin_kubeconfig" {
  value     = kubeadm_kubeconfig.admin.kubeconfig
  sensitive = true
}

output "admin_kubeconfig_expires_at" {
  value = kubeadm_kubeconfig.admin.expires_at
}
