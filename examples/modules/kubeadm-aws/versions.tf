terraform {
  # replace_triggered_by (1.2) and terraform_data (1.4) roll the control
  # planes; no optional() object attributes, no cross-variable validation.
  # Its tests need 1.7 (mock providers).
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
