# Plan-time checks with a mocked AWS provider and the real kubeadm provider on
# the S3 store. Planning never contacts S3, so no bucket or credentials are
# needed. Node configs are known at plan time once the CA and the token exist
# (the first run creates just those two) and the endpoint is known (api_endpoint).

# The partition goes into ARNs and the EC2 service principal: a real one.
mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
    }
  }
}

provider "kubeadm" {
  store {
    s3 {
      bucket = "tftest-configs"
      prefix = "ignition"
      region = "us-east-1"
    }
  }
}

variables {
  cluster_name = "tftest"
  store_bucket = "tftest-configs"
  vpc_id       = "vpc-0123456789abcdef0"
  subnet_ids   = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb", "subnet-0cccccccccccccccc"]
  ami_id       = "ami-0123456789abcdef0"
  api_endpoint = "api.tftest.example.com"
}

run "cluster_pki_and_token" {
  plan_options {
    target = [kubeadm_cluster_ca.this, kubeadm_bootstrap_token.this]
  }

  assert {
    condition     = length(kubeadm_bootstrap_token.this.token_id) == 6 && startswith(kubeadm_cluster_ca.this.ca_cert_hash, "sha256:")
    error_message = "The CA and the join token must exist."
  }
}

run "renders_one_init_two_control_planes_and_a_worker_group" {
  command = plan

  assert {
    condition     = kubeadm_ignition_config.init.role == "init" && kubeadm_ignition_config.init.name == "cp-0"
    error_message = "The first control plane must run kubeadm init."
  }

  assert {
    condition     = length(kubeadm_ignition_config.control_plane) == 2 && alltrue([for c in kubeadm_ignition_config.control_plane : c.role == "control-plane"])
    error_message = "Three control planes need two control-plane join configs."
  }

  assert {
    condition     = kubeadm_ignition_config.worker.role == "worker"
    error_message = "The worker group must get a worker config."
  }

  assert {
    condition     = kubeadm_ignition_config.init.cluster.control_plane_endpoint == "api.tftest.example.com:6443"
    error_message = "api_endpoint must become kubeadm's controlPlaneEndpoint."
  }

  assert {
    condition     = length(aws_instance.control_plane) == 3 && length(aws_lb_target_group_attachment.control_plane) == 3
    error_message = "Three control-plane instances, each behind the API load balancer."
  }

  assert {
    condition     = aws_lb.api.load_balancer_type == "network" && aws_lb_listener.api.port == 6443 && aws_lb_target_group.api.port == 6443
    error_message = "The API load balancer must be a network load balancer on 6443."
  }

  assert {
    condition = (
      aws_autoscaling_group.worker.min_size == 1
      && aws_autoscaling_group.worker.desired_capacity == 2
      && aws_autoscaling_group.worker.max_size == 5
    )
    error_message = "The worker group must follow worker_count."
  }
}

run "user_data_is_a_pointer" {
  command = plan

  # Each instance boots from its own config: cp-0 init, cp-1 and cp-2 joins.
  assert {
    condition = alltrue([
      for i, c in concat([kubeadm_ignition_config.init], kubeadm_ignition_config.control_plane) :
      jsondecode(aws_instance.control_plane[i].user_data).ignition.config.replace.source == c.object_url
      && jsondecode(aws_instance.control_plane[i].user_data).ignition.config.replace.verification.hash == "sha512-${c.rendered_sha512}"
    ])
    error_message = "Control-plane user data must point at the instance's own config with its sha512."
  }

  assert {
    condition     = kubeadm_ignition_config.init.object_url == "s3://tftest-configs/ignition/${kubeadm_ignition_config.init.id}"
    error_message = "Configs must be stored in the provider's bucket."
  }

  assert {
    condition     = length(aws_instance.control_plane[0].user_data) < 1024 && length(regexall("BEGIN", aws_instance.control_plane[0].user_data)) == 0
    error_message = "User data must be a small pointer without key material."
  }

  assert {
    condition = (
      jsondecode(base64decode(aws_launch_template.worker.user_data)).ignition.config.replace.source == kubeadm_ignition_config.worker.object_url
      && kubeadm_ignition_config.worker.object_url == "s3://tftest-configs/ignition/tftest/worker/workers.ign"
      && !can(jsondecode(base64decode(aws_launch_template.worker.user_data)).ignition.config.replace.verification)
    )
    error_message = "The launch template must boot workers from the worker config's stable key, without a hash."
  }

  assert {
    condition     = aws_instance.control_plane[0].metadata_options[0].http_tokens == "required"
    error_message = "Instances must require IMDSv2."
  }
}

run "pinned_workers" {
  command = plan

  variables {
    worker_user_data_mode = "pinned"
  }

  assert {
    condition = (
      jsondecode(base64decode(aws_launch_template.worker.user_data)).ignition.config.replace.verification.hash == "sha512-${kubeadm_ignition_config.worker.rendered_sha512}"
      && kubeadm_ignition_config.worker.id != "tftest/worker/workers.ign"
    )
    error_message = "Pinned workers must check the config's sha512 under a content-addressed key."
  }
}

run "control_planes_are_replaced_when_due_one_at_a_time" {
  command = plan

  assert {
    condition = (
      kubeadm_ignition_config.init.replace_after == "8000h"
      && [for c in kubeadm_ignition_config.control_plane : c.replace_after] == ["8000h168h", "8000h168h168h"]
    )
    error_message = "cp-N must be due N weeks after cp-0, so one apply replaces one control plane."
  }

  assert {
    condition     = kubeadm_ignition_config.worker.replace_after == null && kubeadm_ignition_config.worker.user_data_mode == "stable"
    error_message = "Workers renew their kubelet certificates themselves and keep a stable pointer."
  }

  assert {
    condition     = length(terraform_data.control_plane_config_generation) == 3
    error_message = "Each control plane needs the generation of its config to be replaced by."
  }
}

run "rejects_an_unknown_user_data_mode" {
  command = plan

  variables {
    worker_user_data_mode = "sometimes"
  }

  expect_failures = [var.worker_user_data_mode]
}

run "iam_policies_grant_exactly_their_objects" {
  command = plan

  assert {
    condition = alltrue([
      for c in concat([kubeadm_ignition_config.init], kubeadm_ignition_config.control_plane) :
      contains([for s in jsondecode(aws_iam_role_policy.control_plane_configs.policy).Statement : s.Resource], "arn:aws:s3:::${trimprefix(c.object_url, "s3://")}")
    ])
    error_message = "The control-plane role must read every control-plane object."
  }

  assert {
    condition     = length(distinct([for s in jsondecode(aws_iam_role_policy.control_plane_configs.policy).Statement : s.Sid])) == 3
    error_message = "Statement IDs must stay unique in the union."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.worker_config.policy).Statement : s.Resource] == ["arn:aws:s3:::${trimprefix(kubeadm_ignition_config.worker.object_url, "s3://")}"]
    error_message = "The worker role must read the worker object and nothing else (control-plane objects hold the CA keys)."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.worker_config.policy).Statement : s.Action == "s3:GetObject"])
    error_message = "The worker role must only read."
  }
}

run "one_control_plane" {
  command = plan

  variables {
    control_plane_count = 1
    worker_count        = { min = 0, desired = 0, max = 3 }
  }

  assert {
    condition     = length(kubeadm_ignition_config.control_plane) == 0 && length(aws_instance.control_plane) == 1
    error_message = "One control plane is the init node alone."
  }

  assert {
    condition     = length(jsondecode(aws_iam_role_policy.control_plane_configs.policy).Statement) == 1
    error_message = "One control plane reads one object."
  }
}

run "existing_bucket" {
  command = plan

  variables {
    create_store_bucket = false
  }

  assert {
    condition     = length(aws_s3_bucket.store) == 0 && length(aws_s3_bucket_policy.store) == 0
    error_message = "An existing bucket is not managed here."
  }

  assert {
    condition     = output.store_bucket.arn == "arn:aws:s3:::tftest-configs"
    error_message = "The bucket output names the existing bucket."
  }
}

run "rejects_an_even_control_plane_count" {
  command = plan

  variables {
    control_plane_count = 2
  }

  expect_failures = [var.control_plane_count]
}

run "rejects_an_inconsistent_worker_count" {
  command = plan

  variables {
    worker_count = { min = 3, desired = 2, max = 5 }
  }

  expect_failures = [var.worker_count]
}
