terraform {
  # No optional() object attributes, no terraform_data, no cross-variable
  # validation: the module works from Terraform 1.0 on. Its tests need 1.7
  # (mock providers).
  required_version = ">= 1.0"

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
