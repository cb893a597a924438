terraform {
  required_providers {
    kubeadm = {
      source  = "kubeadm-ignition/kubeadm"
      version = ">= 0.1.0"
    }
  }
}

# Without a store block, rendered configs go to ./.kubeadm-ignition.
provider "kubeadm" {}
