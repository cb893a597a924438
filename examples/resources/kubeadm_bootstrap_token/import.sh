# By the token string:
terraform import kubeadm_bootstrap_token.workers abcdef.0123456789abcdef

# With its expiry, so expires_at and secret_manifest match the cluster's Secret:
terraform import kubeadm_bootstrap_token.workers abcdef.0123456789abcdef,2030-01-02T15:04:05Z
