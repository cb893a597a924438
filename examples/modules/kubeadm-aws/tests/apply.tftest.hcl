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

# No API server answers behind a mocked load balancer: the health gate reads
# what a healthy cluster would show.
override_data {
  target = data.kubeadm_cluster_health.this
  values = {
    api_server_version = "v1.31.4"
    healthy            = true
    nodes              = [{ name = "ip-10-0-0-10.ec2.internal", roles = ["control-plane"], ready = true, kubelet_version = "v1.31.4" }]
  }
}

run "cluster" {
  assert {
    condition     = strcontains(output.admin_kubeconfig, "server: https://tftest-api-0123456789.elb.us-east-1.amazonaws.com:6443")
    error_message = "The admin kubeconfig must point at the API load balancer."
  }

  assert {
    condition     = output.cluster_health.api_server_version == "v1.31.4" && length(output.cluster_health.nodes) == 1
    error_message = "The module must gate on cluster health and show what the gate saw."
  }

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

run "workers_boot_from_a_stable_pointer" {
  assert {
    condition     = jsonencode(jsondecode(kubeadm_ignition_config.worker.user_data)) == jsonencode({ ignition = { version = "3.3.0", config = { replace = { source = "http://configs.tftest.internal/tftest/worker/workers.ign" } }, timeouts = { httpTotal = 600 } } })
    error_message = "The worker config's user data must be a pointer to its stable key, without a hash."
  }

  assert {
    condition     = base64decode(aws_launch_template.worker.user_data) == kubeadm_ignition_config.worker.user_data
    error_message = "The launch template must carry the worker config's user data."
  }

  assert {
    condition = alltrue([
      for i, c in concat([kubeadm_ignition_config.init], kubeadm_ignition_config.control_plane) :
      terraform_data.control_plane_config_generation[i].output == c.rendered_at && c.replace_at != null
    ])
    error_message = "Each control plane must be tied to its config's generation."
  }
}

# A new token (as bootstrap_token_renew_before mints one) re-renders every
# config and changes no machine: the worker pointer is the same, and the
# control planes keep their instances (a mocked replacement would get a new ID).
run "token_rotation_leaves_machines_alone" {
  plan_options {
    replace = [kubeadm_bootstrap_token.this]
  }

  assert {
    condition     = output.bootstrap_token_id != run.workers_boot_from_a_stable_pointer.bootstrap_token_id
    error_message = "The token must have been replaced."
  }

  assert {
    condition     = jsonencode(jsondecode(base64decode(aws_launch_template.worker.user_data))) == jsonencode({ ignition = { version = "3.3.0", config = { replace = { source = "http://configs.tftest.internal/tftest/worker/workers.ign" } }, timeouts = { httpTotal = 600 } } })
    error_message = "The launch template's user data must not change when the token does."
  }

  assert {
    condition     = output.control_plane_instance_ids == run.workers_boot_from_a_stable_pointer.control_plane_instance_ids
    error_message = "A token rotation must not replace control planes."
  }

  assert {
    condition     = length(regexall(kubeadm_bootstrap_token.this.token, kubeadm_ignition_config.worker.kubeadm_config)) == 1 && output.node_configs["workers"].rendered_sha512 != run.workers_boot_from_a_stable_pointer.node_configs["workers"].rendered_sha512
    error_message = "The stored worker config must carry the new token."
  }

  assert {
    condition     = [for n in ["cp-0", "cp-1", "cp-2"] : output.node_configs[n].replace_at] == [for n in ["cp-0", "cp-1", "cp-2"] : run.workers_boot_from_a_stable_pointer.node_configs[n].replace_at]
    error_message = "A re-render for a new token must not start a new generation."
  }
}
