terraform {
  required_version = ">= 1.4"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
    kubeadm = {
      source  = "kubeadm-ignition/kubeadm"
      version = ">= 0.1.0"
    }
  }
}
