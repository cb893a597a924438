# A kubeadm cluster on AWS: a VPC (or yours), the config bucket, three
# control planes behind a network load balancer and a group of workers, all
# from the kubeadm-aws module. Nodes boot Flatcar (or Fedora CoreOS) with an
# Ignition pointer config in their user data.

locals {
  # An AWS-compatible test server instead of AWS (see var.aws_endpoint).
  test_endpoint = var.aws_endpoint != null
}

provider "aws" {
  region = var.region

  # All false against AWS. A test server has no instance metadata and no
  # virtual-hosted bucket addresses, and its credentials are fake. The account
  # ID is still asked for (STS is redirected too): without it the provider
  # reports security-group references as "<account>/<group>" and plans them
  # again forever.
  s3_use_path_style           = local.test_endpoint
  skip_credentials_validation = local.test_endpoint
  skip_metadata_api_check     = local.test_endpoint

  # Null endpoints are AWS's own.
  endpoints {
    s3          = var.aws_endpoint
    ec2         = var.aws_endpoint
    iam         = var.aws_endpoint
    elbv2       = var.aws_endpoint
    autoscaling = var.aws_endpoint
    sts         = var.aws_endpoint
  }
}

# The store names the same bucket the module creates (or is given): a module
# cannot configure the provider its resources use, so the root does both.
provider "kubeadm" {
  store {
    s3 {
      bucket           = var.store_bucket
      prefix           = "ignition"
      region           = var.region
      endpoint         = var.aws_endpoint
      force_path_style = local.test_endpoint
      presign_ttl      = var.presigned_user_data ? var.presign_ttl : null
    }
  }
}

# --- The network (skipped when vpc_id is given) --------------------------------

locals {
  create_vpc = var.vpc_id == null
  vpc_id     = local.create_vpc ? one(aws_vpc.this[*].id) : var.vpc_id
  subnet_ids = local.create_vpc ? aws_subnet.public[*].id : var.subnet_ids
}

data "aws_availability_zones" "available" {
  count = local.create_vpc ? 1 : 0

  state = "available"
}

resource "aws_vpc" "this" {
  count = local.create_vpc ? 1 : 0

  cidr_block = var.vpc_cidr
  # Nodes are named after their private DNS names (name_from = "aws").
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(var.tags, { Name = var.cluster_name })
}

resource "aws_internet_gateway" "this" {
  count = local.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id
  tags   = merge(var.tags, { Name = var.cluster_name })
}

# Public subnets keep the example small (no NAT gateways); the security
# groups admit only the API, SSH from ssh_ingress_cidrs and the nodes
# themselves. Production clusters usually put nodes in private subnets.
resource "aws_subnet" "public" {
  count = local.create_vpc ? var.availability_zone_count : 0

  vpc_id                  = aws_vpc.this[0].id
  cidr_block              = cidrsubnet(var.vpc_cidr, 4, count.index)
  availability_zone       = data.aws_availability_zones.available[0].names[count.index]
  map_public_ip_on_launch = true
  tags                    = merge(var.tags, { Name = "${var.cluster_name}-public-${count.index}" })
}

resource "aws_route_table" "public" {
  count = local.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id
  tags   = merge(var.tags, { Name = "${var.cluster_name}-public" })

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this[0].id
  }
}

resource "aws_route_table_association" "public" {
  count = local.create_vpc ? var.availability_zone_count : 0

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public[0].id
}

# --- The OS image ---------------------------------------------------------------

data "aws_ami" "os" {
  count = var.ami_id == null ? 1 : 0

  most_recent = true
  # Flatcar's and Fedora CoreOS's publishing accounts.
  owners = [var.operating_system == "flatcar" ? "075585003325" : "125523088429"]

  filter {
    name   = "name"
    values = [var.operating_system == "flatcar" ? "Flatcar-stable-*" : "fedora-coreos-*"]
  }

  filter {
    name   = "description"
    values = [var.operating_system == "flatcar" ? "*" : "Fedora CoreOS stable*"]
  }

  filter {
    name   = "architecture"
    values = ["x86_64"]
  }
}

# --- The cluster ----------------------------------------------------------------

module "cluster" {
  source = "../modules/kubeadm-aws"

  cluster_name           = var.cluster_name
  kubernetes_version     = var.kubernetes_version
  operating_system       = var.operating_system
  artifacts_manifest_url = var.artifacts_manifest_url
  ssh_authorized_keys    = var.ssh_authorized_keys

  store_bucket          = var.store_bucket
  create_store_bucket   = var.create_store_bucket
  store_bucket_tls_only = var.store_bucket_tls_only
  presigned_user_data   = var.presigned_user_data
  worker_user_data_mode = var.worker_user_data_mode

  control_plane_replace_after = var.control_plane_replace_after
  wait_for_health             = var.wait_for_health

  vpc_id            = local.vpc_id
  subnet_ids        = local.subnet_ids
  api_ingress_cidrs = var.api_ingress_cidrs
  ssh_ingress_cidrs = var.ssh_ingress_cidrs

  ami_id                      = var.ami_id != null ? var.ami_id : one(data.aws_ami.os[*].id)
  control_plane_count         = var.control_plane_count
  control_plane_instance_type = var.control_plane_instance_type
  worker_count                = var.worker_count
  worker_instance_type        = var.worker_instance_type

  tags = var.tags

  # An internet-facing load balancer needs the gateway and routes first, and
  # destroy removes them only after the cluster.
  depends_on = [aws_route_table_association.public]
}
