# --- The cluster -------------------------------------------------------------

variable "cluster_name" {
  description = "Name of the cluster: kubeadm's clusterName, the CA subjects, and the prefix of every AWS name (load balancer, target group, roles, security groups, the worker group)."
  type        = string

  validation {
    # The load balancer and its target group are named "<cluster_name>-api" (at most 32 characters).
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,26}[a-z0-9])?$", var.cluster_name))
    error_message = "The cluster_name must be 1 to 28 lower-case letters, digits and dashes, starting and ending with a letter or digit."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes version, e.g. v1.31.4 (1.22 and newer). Picks kubeadm's config API (v1beta3 up to 1.30, v1beta4 from 1.31)."
  type        = string
  default     = "v1.31.4"
}

variable "operating_system" {
  description = "The OS of ami_id: flatcar or fedora-coreos."
  type        = string
  default     = "flatcar"

  validation {
    condition     = contains(["flatcar", "fedora-coreos"], var.operating_system)
    error_message = "The operating_system must be flatcar or fedora-coreos."
  }
}

variable "pod_subnet" {
  description = "Pod network CIDR (kubeadm's podSubnet); match your CNI plugin."
  type        = string
  default     = "192.168.0.0/16"
}

variable "service_subnet" {
  description = "Service network CIDR (kubeadm's serviceSubnet)."
  type        = string
  default     = "10.96.0.0/12"
}

variable "api_endpoint" {
  description = "A DNS name for the API server (for example a Route 53 alias of the load balancer you create from the api_lb_dns_name output). Used as kubeadm's controlPlaneEndpoint with port 6443. Null: the load balancer's own DNS name. Setting it also makes every node config known at plan time."
  type        = string
  default     = null
}

variable "api_cert_sans" {
  description = "Extra subject alternative names for the API server certificate (the endpoint is always included)."
  type        = list(string)
  default     = []
}

variable "artifacts_manifest_url" {
  description = "Where nodes get kubeadm, kubelet and kubectl: a version manifest URL (local path, https:// or s3://; see the provider's Kubernetes artifacts guide). Null: the OS image ships them (the provider's \"preinstalled\")."
  type        = string
  default     = null
}

variable "ssh_authorized_keys" {
  description = "SSH public keys for the core user on every node. Empty: no key is added."
  type        = list(string)
  default     = []
}

variable "worker_labels" {
  description = "Node labels for the workers."
  type        = map(string)
  default     = {}
}

variable "key_algorithm" {
  description = "Key algorithm of the cluster CAs (kubeadm's encryptionAlgorithm names: RSA-2048, RSA-3072, RSA-4096, ECDSA-P256, ECDSA-P384)."
  type        = string
  default     = "ECDSA-P256"
}

variable "bootstrap_token_ttl" {
  description = "Lifetime of the bootstrap token nodes join with (Go duration). Workers the group launches after it expires cannot join: see bootstrap_token_renew_before."
  type        = string
  default     = "24h"
}

variable "bootstrap_token_renew_before" {
  description = "When set (Go duration), the first apply after expires_at minus this value mints a new token and new node configs, and the launch template gets a new version. The running cluster must learn the new token: apply the bootstrap_token_secret_manifest output with kubectl. Null: the token is never renewed by Terraform."
  type        = string
  default     = null
}

# --- Node config lifetimes ---------------------------------------------------

variable "worker_user_data_mode" {
  description = "user_data_mode of the worker config. \"stable\": the launch template's user data points at one key without a hash and never changes when the config is re-rendered (a renewed token), workers launched later boot the latest config; integrity rests on who may write the bucket. \"pinned\": the pointer checks the config's SHA-512, and every re-render makes a new launch template version."
  type        = string
  default     = "stable"

  validation {
    condition     = contains(["stable", "pinned"], var.worker_user_data_mode)
    error_message = "The worker_user_data_mode must be stable or pinned."
  }
}

variable "control_plane_replace_after" {
  description = "How long after its config was rendered cp-0 is replaced (Go duration; the provider's replace_after). cp-N follows N x control_plane_replace_stagger later. kubeadm signs a control plane's certificates for a year (8760h) when it boots, so keep the last control plane's time below that; apply at least once per stagger, so that no two control planes are due in the same apply."
  type        = string
  default     = "8000h"
}

variable "control_plane_replace_stagger" {
  description = "The time between two control planes' replacements (Go duration), so that one apply replaces one control plane: etcd keeps its quorum. The default, a week, fits up to five control planes below a year with the default control_plane_replace_after."
  type        = string
  default     = "168h"
}

# --- The config store --------------------------------------------------------

variable "store_bucket" {
  description = "The S3 bucket holding the rendered Ignition configs. It must be the bucket the caller's provider \"kubeadm\" block names in store { s3 { bucket = ... } }."
  type        = string
}

variable "create_store_bucket" {
  description = "Create store_bucket here (encrypted, public access blocked, TLS-only policy). False: the bucket exists already."
  type        = bool
  default     = true
}

variable "store_bucket_force_destroy" {
  description = "Let destroy delete the bucket even when objects the module does not manage are left in it."
  type        = bool
  default     = false
}

variable "store_bucket_tls_only" {
  description = "Give the created bucket a policy that denies every request not made over TLS. Leave it on against AWS; turn it off only for an S3-compatible server reached over plain http (which enforces the policy too)."
  type        = bool
  default     = true
}

variable "store_kms_key_arn" {
  description = "A KMS key for the bucket's default encryption (with create_store_bucket). Null: SSE-S3 (AES256). Configure the provider's store with server_side_encryption = \"aws:kms\" and the same key, so read_policy_json grants kms:Decrypt."
  type        = string
  default     = null
}

variable "presigned_user_data" {
  description = "Give instances user_data_presigned (a presigned URL; needs presign_ttl in the provider's store settings) instead of user_data (an s3:// URL read with the instance profile). Presigned URLs expire after at most 7 days, so workers the group launches later fail to boot: keep this false outside tests and one-off clusters."
  type        = bool
  default     = false
}

# --- The network -------------------------------------------------------------

variable "vpc_id" {
  description = "The VPC of subnet_ids."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets for the load balancer, the control planes (spread round robin) and the workers, ideally one per availability zone."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "Give at least one subnet."
  }
}

variable "api_lb_internal" {
  description = "Make the API load balancer internal (reachable from the VPC only)."
  type        = bool
  default     = false
}

variable "api_ingress_cidrs" {
  description = "Who may reach the API server on 6443 (the load balancer's security group). Nodes use the API through the load balancer as well: with an internet-facing one, include their public addresses (or NAT gateways) when you narrow this."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "ssh_ingress_cidrs" {
  description = "Who may reach the nodes on port 22. Empty: nobody."
  type        = list(string)
  default     = []
}

# --- The machines ------------------------------------------------------------

variable "ami_id" {
  description = "The Flatcar or Fedora CoreOS AMI (matching operating_system) for every node."
  type        = string
}

variable "control_plane_count" {
  description = "Number of control-plane instances: the first runs kubeadm init, the others join as control planes. Odd, for etcd quorum."
  type        = number
  default     = 3

  validation {
    condition     = var.control_plane_count >= 1 && var.control_plane_count % 2 == 1
    error_message = "The control_plane_count must be an odd number, at least 1."
  }
}

variable "control_plane_instance_type" {
  description = "EC2 instance type of the control planes (kubeadm wants at least 2 vCPUs and 2 GiB)."
  type        = string
  default     = "m6i.large"
}

variable "worker_instance_type" {
  description = "EC2 instance type of the workers."
  type        = string
  default     = "m6i.large"
}

variable "worker_count" {
  description = "Size of the worker auto scaling group."
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

  validation {
    condition     = var.worker_count.min >= 0 && var.worker_count.min <= var.worker_count.desired && var.worker_count.desired <= var.worker_count.max
    error_message = "The worker_count needs 0 <= min <= desired <= max."
  }
}

variable "root_volume_size" {
  description = "Root volume size in GiB for every node (gp3, encrypted)."
  type        = number
  default     = 30
}

variable "root_device_name" {
  description = "Root device name of the AMI, for the workers' launch template (/dev/xvda on Flatcar and Fedora CoreOS)."
  type        = string
  default     = "/dev/xvda"
}

variable "control_plane_policy_arns" {
  description = "Managed IAM policies to attach to the control-plane role as well (for example for the AWS cloud controller manager)."
  type        = list(string)
  default     = []
}

variable "worker_policy_arns" {
  description = "Managed IAM policies to attach to the worker role as well (for example for the EBS CSI driver)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every AWS resource (the instances too). The module adds kubernetes.io/cluster/<cluster_name> = owned."
  type        = map(string)
  default     = {}
}

variable "admin_kubeconfig_validity" {
  description = "Lifetime of the admin kubeconfig's client certificate (a Go duration; kubeadm's admin.conf lasts a year)."
  type        = string
  default     = "8760h"
}

variable "admin_kubeconfig_renew_before" {
  description = "Re-issue the admin kubeconfig's certificate on the first apply this long before it expires."
  type        = string
  default     = "720h"
}

variable "wait_for_health" {
  description = "Hold the apply until the API server answers through the load balancer and health_control_plane_nodes / health_worker_nodes Nodes are Ready (data \"kubeadm_cluster_health\")."
  type        = bool
  default     = true
}

variable "health_timeout" {
  description = "How long the health gate waits before it fails with what it saw last (a Go duration)."
  type        = string
  default     = "20m"
}

variable "health_control_plane_nodes" {
  description = "Ready control-plane Nodes the health gate waits for. Nodes turn Ready only once a CNI add-on runs, so leave 0 until one is installed with the cluster."
  type        = number
  default     = 0
}

variable "health_worker_nodes" {
  description = "Ready worker Nodes the health gate waits for (needs a CNI add-on, like health_control_plane_nodes)."
  type        = number
  default     = 0
}
