# A kubeadm cluster on EC2 from plain Terraform: the cluster PKI and a join
# token, the node configs (stored in S3 by the kubeadm provider), the bucket
# and the IAM roles that read them, an API load balancer, the control planes
# and an auto scaling group of workers.
#
# The kubeadm provider is configured by the caller: its store must name
# var.store_bucket (see README.md for why the module cannot do it itself).
#
# Day 2: a token rotation re-renders every node config but changes no
# machine. Workers boot from a stable pointer (user_data_mode = "stable"), so
# the launch template keeps its user data; running control planes ignore
# their user data, and are replaced only when their config is due
# (replace_after), one after the other.

data "aws_partition" "current" {}

locals {
  tags = merge(var.tags, { "kubernetes.io/cluster/${var.cluster_name}" = "owned" })

  api_host               = var.api_endpoint != null ? var.api_endpoint : aws_lb.api.dns_name
  control_plane_endpoint = "${local.api_host}:6443"
  bucket_arn             = "arn:${data.aws_partition.current.partition}:s3:::${var.store_bucket}"

  # Nodes fetch kubeadm and friends from a version manifest, or find them in the image.
  artifacts = var.artifacts_manifest_url == null ? [] : [var.artifacts_manifest_url]
  users     = length(var.ssh_authorized_keys) == 0 ? [] : [var.ssh_authorized_keys]

  # When each control plane's config is due for replacement: cp-N is due
  # N x control_plane_replace_stagger after cp-0, so the control planes
  # created together are not replaced in one apply (etcd would lose quorum).
  # Go durations add up their parts: "8000h168h" is 8168 hours.
  control_plane_replace_after = [
    for i in range(var.control_plane_count) :
    "${var.control_plane_replace_after}${join("", [for _ in range(i) : var.control_plane_replace_stagger])}"
  ]
}

# --- The cluster PKI and the join token ----------------------------------------

resource "kubeadm_cluster_ca" "this" {
  cluster_name  = var.cluster_name
  key_algorithm = var.key_algorithm
}

resource "kubeadm_bootstrap_token" "this" {
  description  = "joins the nodes of ${var.cluster_name}"
  ttl          = var.bootstrap_token_ttl
  renew_before = var.bootstrap_token_renew_before
}

# --- The config store ----------------------------------------------------------

resource "aws_s3_bucket" "store" {
  count = var.create_store_bucket ? 1 : 0

  bucket        = var.store_bucket
  force_destroy = var.store_bucket_force_destroy
  tags          = local.tags
}

resource "aws_s3_bucket_server_side_encryption_configuration" "store" {
  count = var.create_store_bucket ? 1 : 0

  bucket = aws_s3_bucket.store[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.store_kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.store_kms_key_arn
    }
    bucket_key_enabled = var.store_kms_key_arn != null
  }
}

resource "aws_s3_bucket_public_access_block" "store" {
  count = var.create_store_bucket ? 1 : 0

  bucket                  = aws_s3_bucket.store[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_policy" "store" {
  count = var.create_store_bucket && var.store_bucket_tls_only ? 1 : 0

  bucket = aws_s3_bucket.store[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.store[0].arn, "${aws_s3_bucket.store[0].arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  # S3 refuses a policy while the public access block is being changed.
  depends_on = [aws_s3_bucket_public_access_block.store]
}

# --- The node configs ----------------------------------------------------------

# The first control plane: kubeadm init, with the CAs and the join token seeded.
resource "kubeadm_ignition_config" "init" {
  role             = "init"
  name             = "cp-0"
  operating_system = var.operating_system
  cluster_ca       = kubeadm_cluster_ca.this
  bootstrap_token  = kubeadm_bootstrap_token.this
  replace_after    = local.control_plane_replace_after[0]

  cluster {
    name                   = var.cluster_name
    kubernetes_version     = var.kubernetes_version
    control_plane_endpoint = local.control_plane_endpoint
    pod_subnet             = var.pod_subnet
    service_subnet         = var.service_subnet

    api_server {
      cert_sans = var.api_cert_sans
    }
  }

  node {
    name_from = "aws"
  }

  dynamic "kubernetes_artifacts" {
    for_each = local.artifacts
    content {
      source       = "manifest"
      manifest_url = kubernetes_artifacts.value
    }
  }

  dynamic "users" {
    for_each = local.users
    content {
      name                = "core"
      ssh_authorized_keys = users.value
    }
  }

  # The objects go into the bucket: it (and its settings) must exist first,
  # and on destroy the objects go before the bucket.
  depends_on = [
    aws_s3_bucket_server_side_encryption_configuration.store,
    aws_s3_bucket_public_access_block.store,
    aws_s3_bucket_policy.store,
  ]
}

# The other control planes join with controlPlane set; they carry the CA pairs,
# so no certificate key or upload is involved.
resource "kubeadm_ignition_config" "control_plane" {
  count = var.control_plane_count - 1

  role             = "control-plane"
  name             = "cp-${count.index + 1}"
  operating_system = var.operating_system
  cluster_ca       = kubeadm_cluster_ca.this
  bootstrap_token  = kubeadm_bootstrap_token.this
  replace_after    = local.control_plane_replace_after[count.index + 1]

  cluster {
    name                   = var.cluster_name
    kubernetes_version     = var.kubernetes_version
    control_plane_endpoint = local.control_plane_endpoint
    pod_subnet             = var.pod_subnet
    service_subnet         = var.service_subnet

    api_server {
      cert_sans = var.api_cert_sans
    }
  }

  node {
    name_from = "aws"
  }

  dynamic "kubernetes_artifacts" {
    for_each = local.artifacts
    content {
      source       = "manifest"
      manifest_url = kubernetes_artifacts.value
    }
  }

  dynamic "users" {
    for_each = local.users
    content {
      name                = "core"
      ssh_authorized_keys = users.value
    }
  }

  depends_on = [
    aws_s3_bucket_server_side_encryption_configuration.store,
    aws_s3_bucket_public_access_block.store,
    aws_s3_bucket_policy.store,
  ]
}

# One config for the whole worker group: token discovery pinned to the CA
# hash, no private key on board. Stored at one stable key, so a new token (or
# any other re-render) changes the object workers boot from later, not the
# launch template.
resource "kubeadm_ignition_config" "worker" {
  role             = "worker"
  name             = "workers"
  operating_system = var.operating_system
  cluster_ca       = kubeadm_cluster_ca.this
  bootstrap_token  = kubeadm_bootstrap_token.this
  user_data_mode   = var.worker_user_data_mode

  cluster {
    name                   = var.cluster_name
    kubernetes_version     = var.kubernetes_version
    control_plane_endpoint = local.control_plane_endpoint
    pod_subnet             = var.pod_subnet
    service_subnet         = var.service_subnet
  }

  node {
    name_from = "aws"
    labels    = var.worker_labels
  }

  dynamic "kubernetes_artifacts" {
    for_each = local.artifacts
    content {
      source       = "manifest"
      manifest_url = kubernetes_artifacts.value
    }
  }

  dynamic "users" {
    for_each = local.users
    content {
      name                = "core"
      ssh_authorized_keys = users.value
    }
  }

  depends_on = [
    aws_s3_bucket_server_side_encryption_configuration.store,
    aws_s3_bucket_public_access_block.store,
    aws_s3_bucket_policy.store,
  ]
}

locals {
  # The control planes' configs in instance order: cp-0 (init), cp-1, ...
  # (lists of attributes rather than whole objects, which hold sensitive values).
  control_plane_user_data = concat(
    [kubeadm_ignition_config.init.user_data],
    kubeadm_ignition_config.control_plane[*].user_data,
  )
  control_plane_user_data_presigned = concat(
    [kubeadm_ignition_config.init.user_data_presigned],
    kubeadm_ignition_config.control_plane[*].user_data_presigned,
  )
  control_plane_read_policies = concat(
    [kubeadm_ignition_config.init.read_policy_json],
    kubeadm_ignition_config.control_plane[*].read_policy_json,
  )
  control_plane_rendered_at = concat(
    [kubeadm_ignition_config.init.rendered_at],
    kubeadm_ignition_config.control_plane[*].rendered_at,
  )

  # What each instance boots from: an s3:// pointer read with the instance
  # profile, or a presigned URL (needs presign_ttl in the provider's store).
  control_plane_boot = var.presigned_user_data ? local.control_plane_user_data_presigned : local.control_plane_user_data
  worker_boot        = var.presigned_user_data ? kubeadm_ignition_config.worker.user_data_presigned : kubeadm_ignition_config.worker.user_data

  # Each config's read_policy_json grants s3:GetObject on that one object (and
  # kms:Decrypt with aws:kms). A role gets the union of its configs' statements,
  # renumbered so the statement IDs stay unique. The worker role never sees the
  # control-plane objects, which hold the CA keys.
  control_plane_statements = flatten([
    for i, p in local.control_plane_read_policies : [
      for s in try(jsondecode(p).Statement, []) : merge(s, { Sid = "${s.Sid}${i}" })
    ]
  ])
  worker_statements = try(jsondecode(kubeadm_ignition_config.worker.read_policy_json).Statement, [])

  # A version manifest in S3 lists files next to it (relative URLs), which
  # Ignition fetches with the instance profile: both roles may read the
  # manifest's directory.
  artifacts_manifest_s3 = var.artifacts_manifest_url == null ? [] : regexall("^s3://([^/]+)/((?:.*/)?)[^/]+$", var.artifacts_manifest_url)
  artifacts_statements = [
    for m in local.artifacts_manifest_s3 : {
      Sid      = "ReadKubernetesArtifacts"
      Effect   = "Allow"
      Action   = "s3:GetObject"
      Resource = "arn:${data.aws_partition.current.partition}:s3:::${m[0]}/${m[1]}*"
    }
  ]
}

# --- IAM: one role per kind of node ----------------------------------------------

locals {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.${data.aws_partition.current.dns_suffix}" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role" "control_plane" {
  name               = "${var.cluster_name}-control-plane"
  description        = "Control-plane nodes of ${var.cluster_name}: read their Ignition configs."
  assume_role_policy = local.assume_role_policy
  tags               = local.tags
}

resource "aws_iam_role_policy" "control_plane_configs" {
  name = "read-ignition-configs"
  role = aws_iam_role.control_plane.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat(local.control_plane_statements, local.artifacts_statements)
  })
}

resource "aws_iam_role_policy_attachment" "control_plane" {
  for_each = toset(var.control_plane_policy_arns)

  role       = aws_iam_role.control_plane.name
  policy_arn = each.value
}

resource "aws_iam_instance_profile" "control_plane" {
  name = "${var.cluster_name}-control-plane"
  role = aws_iam_role.control_plane.name
  tags = local.tags
}

resource "aws_iam_role" "worker" {
  name               = "${var.cluster_name}-worker"
  description        = "Worker nodes of ${var.cluster_name}: read the worker Ignition config."
  assume_role_policy = local.assume_role_policy
  tags               = local.tags
}

resource "aws_iam_role_policy" "worker_config" {
  name = "read-ignition-config"
  role = aws_iam_role.worker.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat(local.worker_statements, local.artifacts_statements)
  })
}

resource "aws_iam_role_policy_attachment" "worker" {
  for_each = toset(var.worker_policy_arns)

  role       = aws_iam_role.worker.name
  policy_arn = each.value
}

resource "aws_iam_instance_profile" "worker" {
  name = "${var.cluster_name}-worker"
  role = aws_iam_role.worker.name
  tags = local.tags
}

# --- Security groups ------------------------------------------------------------

resource "aws_security_group" "control_plane" {
  name        = "${var.cluster_name}-control-plane"
  description = "Control-plane nodes of ${var.cluster_name}"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.cluster_name}-control-plane" })
}

resource "aws_security_group" "worker" {
  name        = "${var.cluster_name}-worker"
  description = "Worker nodes of ${var.cluster_name}"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.cluster_name}-worker" })
}

locals {
  node_security_groups = {
    control_plane = aws_security_group.control_plane.id
    worker        = aws_security_group.worker.id
  }

  # Every node talks to every node on every port (etcd, kubelet, the CNI's
  # overlay and BGP, NodePorts): a pair of rules per (to, from) pair.
  intra_cluster_rules = {
    for pair in setproduct(keys(local.node_security_groups), keys(local.node_security_groups)) :
    "${pair[0]}-from-${pair[1]}" => { to = pair[0], from = pair[1] }
  }

  ssh_rules = {
    for pair in setproduct(keys(local.node_security_groups), var.ssh_ingress_cidrs) :
    "${pair[0]}-${pair[1]}" => { to = pair[0], cidr = pair[1] }
  }
}

resource "aws_vpc_security_group_ingress_rule" "intra_cluster" {
  for_each = local.intra_cluster_rules

  security_group_id            = local.node_security_groups[each.value.to]
  referenced_security_group_id = local.node_security_groups[each.value.from]
  ip_protocol                  = "-1"
}

# The API goes through the load balancer, which has a security group of its
# own: client IP preservation is off (see the target group), so the control
# planes see the load balancer's addresses and admit the API from it alone.
resource "aws_security_group" "api_lb" {
  name        = "${var.cluster_name}-api-lb"
  description = "API load balancer of ${var.cluster_name}"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.cluster_name}-api-lb" })
}

resource "aws_vpc_security_group_ingress_rule" "api" {
  for_each = toset(var.api_ingress_cidrs)

  security_group_id = aws_security_group.api_lb.id
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 6443
  to_port           = 6443
  description       = "Kubernetes API"
}

# Nodes use the API through the load balancer too (kubelets, joins); through
# an internet-facing one they come from their public addresses, which
# api_ingress_cidrs must then admit.
resource "aws_vpc_security_group_ingress_rule" "api_from_nodes" {
  for_each = local.node_security_groups

  security_group_id            = aws_security_group.api_lb.id
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 6443
  to_port                      = 6443
}

resource "aws_vpc_security_group_egress_rule" "api_lb_to_control_planes" {
  security_group_id            = aws_security_group.api_lb.id
  referenced_security_group_id = aws_security_group.control_plane.id
  ip_protocol                  = "tcp"
  from_port                    = 6443
  to_port                      = 6443
}

# Forwarded requests and health checks.
resource "aws_vpc_security_group_ingress_rule" "api_from_lb" {
  security_group_id            = aws_security_group.control_plane.id
  referenced_security_group_id = aws_security_group.api_lb.id
  ip_protocol                  = "tcp"
  from_port                    = 6443
  to_port                      = 6443
}

resource "aws_vpc_security_group_ingress_rule" "ssh" {
  for_each = local.ssh_rules

  security_group_id = local.node_security_groups[each.value.to]
  cidr_ipv4         = each.value.cidr
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  description       = "SSH"
}

resource "aws_vpc_security_group_egress_rule" "all" {
  for_each = local.node_security_groups

  security_group_id = each.value
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
  description       = "everything out (images, packages, AWS APIs)"
}

# --- The API load balancer --------------------------------------------------------

resource "aws_lb" "api" {
  name                             = "${var.cluster_name}-api"
  load_balancer_type               = "network"
  internal                         = var.api_lb_internal
  subnets                          = var.subnet_ids
  security_groups                  = [aws_security_group.api_lb.id]
  enable_cross_zone_load_balancing = true
  tags                             = local.tags
}

resource "aws_lb_target_group" "api" {
  name        = "${var.cluster_name}-api"
  port        = 6443
  protocol    = "TCP"
  target_type = "instance"
  vpc_id      = var.vpc_id
  tags        = local.tags

  # With client addresses preserved, a control plane reaching the API through
  # the load balancer and landing on itself never gets an answer (no
  # hairpinning), and kubeadm init on the first node does exactly that.
  preserve_client_ip = false

  # kube-apiserver answers /readyz to anonymous clients.
  health_check {
    protocol            = "HTTPS"
    path                = "/readyz"
    port                = "traffic-port"
    healthy_threshold   = 2
    unhealthy_threshold = 2
    interval            = 10
  }
}

resource "aws_lb_listener" "api" {
  load_balancer_arn = aws_lb.api.arn
  port              = 6443
  protocol          = "TCP"
  tags              = local.tags

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api.arn
  }
}

resource "aws_lb_target_group_attachment" "control_plane" {
  count = var.control_plane_count

  target_group_arn = aws_lb_target_group.api.arn
  target_id        = aws_instance.control_plane[count.index].id
  port             = 6443
}

# --- Control planes ---------------------------------------------------------------

# The generation of each control plane's config. rendered_at changes only when
# the config is created or due (replace_after), not when it is re-rendered for
# a new token or input, and replace_triggered_by takes resource references
# alone: this resource carries the one into the other.
resource "terraform_data" "control_plane_config_generation" {
  count = var.control_plane_count

  input = local.control_plane_rendered_at[count.index]
}

resource "aws_instance" "control_plane" {
  count = var.control_plane_count

  ami                    = var.ami_id
  instance_type          = var.control_plane_instance_type
  subnet_id              = var.subnet_ids[count.index % length(var.subnet_ids)]
  vpc_security_group_ids = [aws_security_group.control_plane.id]
  iam_instance_profile   = aws_iam_instance_profile.control_plane.name
  user_data              = local.control_plane_boot[count.index]

  # IMDSv2 only, one hop: pods, a hop further away, cannot take the role's
  # credentials and read the node configs (join token; CA keys on control planes).
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = var.root_volume_size
    encrypted   = true
  }

  tags        = merge(local.tags, { Name = "${var.cluster_name}-cp-${count.index}" })
  volume_tags = merge(local.tags, { Name = "${var.cluster_name}-cp-${count.index}" })

  # Ignition runs on the first boot only. A later config change (a renewed
  # token, another version) must not stop or replace a running etcd member:
  # the instance is replaced when its config is due (replace_after, staggered
  # per control plane), or on purpose, one at a time (terraform apply -replace).
  # The replacement boots the config as it is then; a replaced cp-0 joins the
  # running cluster instead of founding a new one.
  lifecycle {
    ignore_changes       = [ami, user_data]
    replace_triggered_by = [terraform_data.control_plane_config_generation[count.index]]
  }

  # The role must be able to read the object before the instance boots.
  depends_on = [aws_iam_role_policy.control_plane_configs]
}

# --- Workers -------------------------------------------------------------------------

resource "aws_launch_template" "worker" {
  name_prefix            = "${var.cluster_name}-worker-"
  description            = "Workers of ${var.cluster_name}"
  image_id               = var.ami_id
  instance_type          = var.worker_instance_type
  user_data              = base64encode(local.worker_boot)
  vpc_security_group_ids = [aws_security_group.worker.id]
  update_default_version = true
  # The template itself gets the caller's tags only: the cluster tag matters
  # on instances and volumes (tag_specifications below).
  tags = var.tags

  iam_instance_profile {
    arn = aws_iam_instance_profile.worker.arn
  }

  # IMDSv2 only, one hop: pods, a hop further away, cannot take the role's
  # credentials and read the node configs (join token; CA keys on control planes).
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = var.root_device_name

    ebs {
      volume_type           = "gp3"
      volume_size           = var.root_volume_size
      encrypted             = true
      delete_on_termination = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(local.tags, { Name = "${var.cluster_name}-worker" })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(local.tags, { Name = "${var.cluster_name}-worker" })
  }

  depends_on = [aws_iam_role_policy.worker_config]
}

resource "aws_autoscaling_group" "worker" {
  name                = "${var.cluster_name}-worker"
  min_size            = var.worker_count.min
  desired_capacity    = var.worker_count.desired
  max_size            = var.worker_count.max
  vpc_zone_identifier = var.subnet_ids

  # With the stable worker config, a token renewal leaves the launch template
  # as it is: instances launched later fetch the re-rendered config. A new
  # launch template version (pinned configs, another AMI or instance type)
  # applies to instances launched from then on; roll existing ones with an
  # instance refresh when you want them replaced.
  launch_template {
    id      = aws_launch_template.worker.id
    version = aws_launch_template.worker.latest_version
  }

  dynamic "tag" {
    for_each = local.tags
    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = false
    }
  }

  # Workers join through the API load balancer.
  depends_on = [aws_lb_listener.api]
}

# --- Day 2: the admin kubeconfig and the health gate ----------------------------

# An admin client certificate signed by the cluster CA, with kubeadm's admin
# groups for the release; re-issued by the apply after renew_before is reached.
resource "kubeadm_kubeconfig" "admin" {
  cluster_ca         = kubeadm_cluster_ca.this
  server             = "https://${local.control_plane_endpoint}"
  kubernetes_version = var.kubernetes_version
  validity           = var.admin_kubeconfig_validity
  renew_before       = var.admin_kubeconfig_renew_before
}

# Holds the apply until the API server answers through the load balancer, and
# until as many Nodes are Ready as asked. Read during apply, once the machines
# exist; fails after health_timeout with what it saw last.
data "kubeadm_cluster_health" "this" {
  count = var.wait_for_health ? 1 : 0

  kubeconfig = kubeadm_kubeconfig.admin.kubeconfig
  wait_for {
    control_plane_nodes = var.health_control_plane_nodes
    worker_nodes        = var.health_worker_nodes
  }
  timeout = var.health_timeout

  depends_on = [
    aws_instance.control_plane,
    aws_autoscaling_group.worker,
    aws_lb_listener.api,
    aws_lb_target_group_attachment.control_plane,
  ]
}
