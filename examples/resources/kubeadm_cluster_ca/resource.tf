# Generate the whole cluster PKI.
resource "kubeadm_cluster_ca" "prod" {
  cluster_name  = "prod"
  key_algorithm = "ECDSA-P256"
}

output "discovery_hash" {
  description = "Pass to kubeadm join as --discovery-token-ca-cert-hash."
  value       = kubeadm_cluster_ca.prod.ca_cert_hash
}
