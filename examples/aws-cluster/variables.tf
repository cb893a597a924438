variable "region" {
  description = "AWS region of everything, the config bucket included."
  type        = string
  default     = "eu-west-1"
}

variable "cluster_name" {
  description = "Name of the cluster and prefix of the AWS names (1 to 28 lower-case letters, digits, dashes)."
  type        = string
  default     = "demo"
}

variable "kubernetes_version" {
  description = "Kubernetes version (1.22 and newer)."
  type        = string
  default     = "v1.31.4"
}

variable "operating_system" {
  description = "flatcar or fedora-coreos; picks the AMI when ami_id is null."
  type        = string
  default     = "flatcar"
}

variable "ami_id" {
  description = "AMI for every node. Null: the newest Flatcar stable (or Fedora CoreOS stable) x86_64 AMI of the region."
  type        = string
  default     = null
}

variable "store_bucket" {
  description = "Name of the S3 bucket for the rendered Ignition configs (globally unique). Both the module and the kubeadm provider's store use it."
  type        = string
}

variable "create_store_bucket" {
  description = "Create the bucket (true) or use an existing one (false)."
  type        = bool
  default     = true
}

variable "store_bucket_tls_only" {
  description = "Deny non-TLS requests to the created bucket. Keep true on AWS; false only for a test server reached over plain http."
  type        = bool
  default     = true
}

variable "presigned_user_data" {
  description = "Boot instances from presigned URLs (valid presign_ttl) instead of s3:// URLs read with their instance profile."
  type        = bool
  default     = false
}

variable "presign_ttl" {
  description = "Lifetime of the presigned URLs with presigned_user_data (Go duration, at most 168h)."
  type        = string
  default     = "168h"
}

variable "worker_user_data_mode" {
  description = "stable: a token rotation leaves the workers' launch template alone (workers launched later fetch the new config); pinned: workers check the config's SHA-512, and each re-render makes a new launch template version."
  type        = string
  default     = "stable"
}

variable "control_plane_replace_after" {
  description = "How long after its config was rendered the first control plane is replaced (Go duration); the others follow a week apart. Below a year: kubeadm's certificates on a control plane last a year."
  type        = string
  default     = "8000h"
}

variable "control_plane_count" {
  description = "Number of control planes (odd)."
  type        = number
  default     = 3
}

variable "worker_count" {
  description = "Size of the worker group."
  type = object({
    min     = number
    desired = number
    max     = number
  })
  default = {
    min     = 1
    desired = 2
    max     = 5
  }
}

variable "control_plane_instance_type" {
  description = "Instance type of the control planes."
  type        = string
  default     = "m6i.large"
}

variable "worker_instance_type" {
  description = "Instance type of the workers."
  type        = string
  default     = "m6i.large"
}

variable "artifacts_manifest_url" {
  description = "Version manifest nodes fetch kubeadm, kubelet and kubectl from (https:// or s3://). Null: the image ships them."
  type        = string
  default     = null
}

variable "ssh_authorized_keys" {
  description = "SSH public keys for the core user."
  type        = list(string)
  default     = []
}

variable "ssh_ingress_cidrs" {
  description = "Who may SSH to the nodes."
  type        = list(string)
  default     = []
}

variable "api_ingress_cidrs" {
  description = "Who may reach the API server through the load balancer."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "vpc_id" {
  description = "An existing VPC. Null: a new VPC with public subnets is created (vpc_cidr, availability_zone_count)."
  type        = string
  default     = null
}

variable "subnet_ids" {
  description = "Subnets of vpc_id for the load balancer and the nodes (with vpc_id)."
  type        = list(string)
  default     = []
}

variable "vpc_cidr" {
  description = "CIDR of the VPC created when vpc_id is null."
  type        = string
  default     = "10.0.0.0/16"
}

variable "availability_zone_count" {
  description = "How many availability zones the created VPC spans (one public subnet each)."
  type        = number
  default     = 3
}

variable "tags" {
  description = "Tags for every AWS resource."
  type        = map(string)
  default     = {}
}

variable "aws_endpoint" {
  description = "One endpoint URL for S3, EC2, IAM, ELBv2, Auto Scaling and STS, for an AWS-compatible test server. Null (the default): real AWS. When set, the AWS provider skips credential, account ID and metadata checks and uses path-style S3 addresses, and the kubeadm store uses the same endpoint."
  type        = string
  default     = null
}

variable "wait_for_health" {
  description = "Hold the apply until the API server answers through the load balancer."
  type        = bool
  default     = true
}
