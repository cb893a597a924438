# Nodes fetch the files of an S3 version manifest with their instance
# profile, so both roles may read the manifest's directory. The node configs
# are overridden here (the provider would read the manifest while planning),
# so nothing is stored; the CA and the token are real.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
    }
  }


  mock_resource "aws_lb" {
    defaults = {
      arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/tftest-api/0123456789abcdef"
    }
  }

  mock_resource "aws_lb_target_group" {
    defaults = {
      arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tftest-api/0123456789abcdef"
    }
  }

  mock_resource "aws_launch_template" {
    defaults = {
      id = "lt-0123456789abcdef0"
    }
  }

  mock_resource "aws_iam_instance_profile" {
    defaults = {
      arn = "arn:aws:iam::123456789012:instance-profile/tftest"
    }
  }
}

provider "kubeadm" {
  store {
    s3 {
      bucket = "tftest-configs"
      region = "us-east-1"
    }
  }
}

variables {
  cluster_name           = "tftest"
  store_bucket           = "tftest-configs"
  vpc_id                 = "vpc-0123456789abcdef0"
  subnet_ids             = ["subnet-0aaaaaaaaaaaaaaaa"]
  ami_id                 = "ami-0123456789abcdef0"
  control_plane_count    = 1
  artifacts_manifest_url = "s3://tftest-artifacts/k8s/v1.31.4/manifest.json"
  wait_for_health        = false
}

override_resource {
  target = kubeadm_ignition_config.init
  values = {
    user_data        = "{\"ignition\":{\"version\":\"3.3.0\"}}"
    read_policy_json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"ReadIgnitionConfig\",\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::tftest-configs/tftest/init/cp-0.ign\"}]}"
  }
}

override_resource {
  target = kubeadm_ignition_config.worker
  values = {
    user_data        = "{\"ignition\":{\"version\":\"3.3.0\"}}"
    read_policy_json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"ReadIgnitionConfig\",\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::tftest-configs/tftest/worker/workers.ign\"}]}"
  }
}

run "both_roles_read_the_manifest_directory" {
  assert {
    condition = (
      [for s in jsondecode(aws_iam_role_policy.control_plane_configs.policy).Statement : s.Resource]
      == ["arn:aws:s3:::tftest-configs/tftest/init/cp-0.ign", "arn:aws:s3:::tftest-artifacts/k8s/v1.31.4/*"]
    )
    error_message = "The control-plane role must read its config and the artifacts."
  }

  assert {
    condition = (
      [for s in jsondecode(aws_iam_role_policy.worker_config.policy).Statement : s.Resource]
      == ["arn:aws:s3:::tftest-configs/tftest/worker/workers.ign", "arn:aws:s3:::tftest-artifacts/k8s/v1.31.4/*"]
    )
    error_message = "The worker role must read its config and the artifacts."
  }

  assert {
    condition     = jsondecode(aws_iam_role.worker.assume_role_policy).Statement[0].Principal.Service == "ec2.amazonaws.com"
    error_message = "Instances assume the node roles."
  }
}
