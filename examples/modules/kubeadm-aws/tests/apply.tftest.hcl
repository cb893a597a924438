# Apply with a mocked AWS provider and the real kubeadm provider on a local
# store (written under the module directory, removed again by the test's
# destroy). Without api_endpoint the endpoint is the load balancer's name,
# known only after apply.

# The AWS provider still validates what the module passes on, so the values
# other resources consume must look real (ARNs, IDs, the partition).
mock_provider "aws" {
  mock_resource "aws_lb" {
    defaults = {
      arn      = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/tftest-api/0123456789abcdef"
      dns_name = "tftest-api-0123456789.elb.us-east-1.amazonaws.com"
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

  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::tftest-configs"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
    }
  }
}

provider "kubeadm" {
  store {
    local {
      path     = ".kubeadm-tftest"
      base_url = "http://configs.tftest.internal"
    }
  }
}

variables {
  cluster_name = "tftest"
  store_bucket = "tftest-configs"
  vpc_id       = "vpc-0123456789abcdef0"
  subnet_ids   = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
  ami_id       = "ami-0123456789abcdef0"
}

run "cluster" {
  assert {
    condition     = output.api_endpoint == "tftest-api-0123456789.elb.us-east-1.amazonaws.com:6443"
    error_message = "Without api_endpoint the load balancer's name is the endpoint."
  }

  assert {
    condition = (
      length(regexall("controlPlaneEndpoint: tftest-api-0123456789.elb.us-east-1.amazonaws.com:6443", kubeadm_ignition_config.init.kubeadm_config)) == 1
      && length(regexall("apiServerEndpoint: tftest-api-0123456789.elb.us-east-1.amazonaws.com:6443", kubeadm_ignition_config.worker.kubeadm_config)) == 1
    )
    error_message = "Nodes must reach the API through the load balancer."
  }

  assert {
    condition     = join(",", sort(keys(output.node_configs))) == "cp-0,cp-1,cp-2,workers"
    error_message = "node_configs must list every config."
  }

  assert {
    condition = (
      output.node_configs["cp-0"].role == "init"
      && output.node_configs["cp-1"].role == "control-plane"
      && output.node_configs["cp-2"].role == "control-plane"
      && output.node_configs["workers"].role == "worker"
    )
    error_message = "Roles: cp-0 init, cp-1 and cp-2 control-plane, workers worker."
  }

  assert {
    condition     = length(regexall("kind: InitConfiguration", kubeadm_ignition_config.init.kubeadm_config)) == 1
    error_message = "The init node must get an InitConfiguration."
  }

  assert {
    condition = alltrue([
      for c in kubeadm_ignition_config.control_plane :
      length(regexall("kind: JoinConfiguration", c.kubeadm_config)) == 1 && length(regexall("controlPlane:", c.kubeadm_config)) == 1
    ])
    error_message = "The other control planes must join with controlPlane set."
  }

  assert {
    condition     = length(regexall("kind: JoinConfiguration", kubeadm_ignition_config.worker.kubeadm_config)) == 1 && length(regexall("controlPlane:", kubeadm_ignition_config.worker.kubeadm_config)) == 0
    error_message = "Workers must join without controlPlane."
  }

  assert {
    condition = alltrue([
      for i, c in concat([kubeadm_ignition_config.init], kubeadm_ignition_config.control_plane) :
      aws_instance.control_plane[i].user_data == c.user_data
      && jsondecode(c.user_data).ignition.config.replace.source == "http://configs.tftest.internal/${c.id}"
      && jsondecode(c.user_data).ignition.config.replace.verification.hash == "sha512-${c.rendered_sha512}"
    ])
    error_message = "Each control plane must boot from a pointer to its own stored config."
  }

  assert {
    condition     = jsondecode(aws_s3_bucket_policy.store[0].policy).Statement[0].Condition.Bool["aws:SecureTransport"] == "false" && jsondecode(aws_s3_bucket_policy.store[0].policy).Statement[0].Effect == "Deny"
    error_message = "The bucket must deny requests without TLS."
  }

  assert {
    condition     = aws_s3_bucket_public_access_block.store[0].block_public_policy && aws_s3_bucket_public_access_block.store[0].restrict_public_buckets
    error_message = "The bucket must block public access."
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.store[0].rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "The bucket must encrypt by default."
  }

  assert {
    condition = (
      tolist(aws_lb.api.security_groups) == tolist([aws_security_group.api_lb.id])
      && aws_lb_target_group.api.preserve_client_ip == "false"
      && aws_vpc_security_group_ingress_rule.api_from_lb.security_group_id == aws_security_group.control_plane.id
      && aws_vpc_security_group_ingress_rule.api_from_lb.referenced_security_group_id == aws_security_group.api_lb.id
    )
    error_message = "The control planes must take the API from the load balancer, which has its own security group and no client IP preservation (no hairpinning)."
  }

  assert {
    condition     = aws_instance.control_plane[1].subnet_id == "subnet-0bbbbbbbbbbbbbbbb" && aws_instance.control_plane[2].subnet_id == "subnet-0aaaaaaaaaaaaaaaa"
    error_message = "Control planes must be spread over the subnets round robin."
  }
}
