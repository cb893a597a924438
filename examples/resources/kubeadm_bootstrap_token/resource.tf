# A token for joining worker nodes. It is valid for a day, and an apply
# within the last hour of its life mints a fresh one.
resource "kubeadm_bootstrap_token" "workers" {
  description  = "worker join token"
  ttl          = "24h"
  renew_before = "1h"
}
