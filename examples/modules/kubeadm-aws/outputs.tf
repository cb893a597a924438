output "api_endpoint" {
  description = "The API server endpoint (host:port), kubeadm's controlPlaneEndpoint."
  value       = local.control_plane_endpoint
}

output "api_server_url" {
  description = "The API server URL, for a kubeconfig."
  value       = "https://${local.control_plane_endpoint}"
}

output "api_lb_dns_name" {
  description = "DNS name of the API load balancer (point api_endpoint's DNS record here)."
  value       = aws_lb.api.dns_name
}

output "api_lb_zone_id" {
  description = "Hosted zone of the API load balancer, for a Route 53 alias record."
  value       = aws_lb.api.zone_id
}

output "ca_cert_hash" {
  description = "The discovery hash joining nodes pin (kubeadm's --discovery-token-ca-cert-hash)."
  value       = kubeadm_cluster_ca.this.ca_cert_hash
}

output "ca_cert_pem" {
  description = "The cluster's Kubernetes CA certificate, for a kubeconfig's certificate-authority-data."
  value       = kubeadm_cluster_ca.this.ca_cert_pem
}

output "bootstrap_token_id" {
  description = "The public half of the join token."
  value       = kubeadm_bootstrap_token.this.token_id
}

output "bootstrap_token_expires_at" {
  description = "When the join token expires (RFC 3339; null when it never does)."
  value       = kubeadm_bootstrap_token.this.expires_at
}

output "bootstrap_token_secret_manifest" {
  description = "The kube-system Secret of the join token. After a renewal, apply it with kubectl so the cluster accepts the new token."
  value       = kubeadm_bootstrap_token.this.secret_manifest
  sensitive   = true
}

output "node_configs" {
  description = "Every rendered node config by name (cp-0 is the init node, cp-1 and on join as control planes, workers is the worker group): role, object key, object URL, SHA-512, and when a control plane's config is due for replacement (replace_at; null for the workers)."
  value = merge(
    {
      (kubeadm_ignition_config.init.name) = {
        role            = kubeadm_ignition_config.init.role
        id              = kubeadm_ignition_config.init.id
        object_url      = kubeadm_ignition_config.init.object_url
        rendered_sha512 = kubeadm_ignition_config.init.rendered_sha512
        replace_at      = kubeadm_ignition_config.init.replace_at
      }
    },
    {
      for i, name in kubeadm_ignition_config.control_plane[*].name : name => {
        role            = kubeadm_ignition_config.control_plane[i].role
        id              = kubeadm_ignition_config.control_plane[i].id
        object_url      = kubeadm_ignition_config.control_plane[i].object_url
        rendered_sha512 = kubeadm_ignition_config.control_plane[i].rendered_sha512
        replace_at      = kubeadm_ignition_config.control_plane[i].replace_at
      }
    },
    {
      (kubeadm_ignition_config.worker.name) = {
        role            = kubeadm_ignition_config.worker.role
        id              = kubeadm_ignition_config.worker.id
        object_url      = kubeadm_ignition_config.worker.object_url
        rendered_sha512 = kubeadm_ignition_config.worker.rendered_sha512
        replace_at      = kubeadm_ignition_config.worker.replace_at
      }
    },
  )
}

output "store_bucket" {
  description = "The bucket holding the configs: name and ARN."
  value = {
    name = var.store_bucket
    arn  = var.create_store_bucket ? one(aws_s3_bucket.store[*].arn) : local.bucket_arn
  }
}

output "control_plane_instance_profile" {
  description = "Instance profile of the control planes."
  value       = aws_iam_instance_profile.control_plane.name
}

output "worker_instance_profile" {
  description = "Instance profile of the workers."
  value       = aws_iam_instance_profile.worker.name
}

output "control_plane_role_arn" {
  description = "IAM role of the control planes (attach more policies here, e.g. for the cloud controller manager)."
  value       = aws_iam_role.control_plane.arn
}

output "worker_role_arn" {
  description = "IAM role of the workers."
  value       = aws_iam_role.worker.arn
}

output "control_plane_instance_ids" {
  description = "EC2 instance IDs of the control planes; the first ran kubeadm init."
  value       = aws_instance.control_plane[*].id
}

output "control_plane_private_ips" {
  description = "Private addresses of the control planes."
  value       = aws_instance.control_plane[*].private_ip
}

output "worker_autoscaling_group_name" {
  description = "The workers' auto scaling group."
  value       = aws_autoscaling_group.worker.name
}

output "worker_launch_template_id" {
  description = "The workers' launch template (a new version per worker config)."
  value       = aws_launch_template.worker.id
}

output "security_group_ids" {
  description = "Security groups of the control planes and the workers."
  value = {
    control_plane = aws_security_group.control_plane.id
    worker        = aws_security_group.worker.id
  }
}

output "admin_kubeconfig" {
  description = "An admin kubeconfig for the API load balancer (kubeadm's admin groups for the release), usable as-is by kubectl."
  value       = kubeadm_kubeconfig.admin.kubeconfig
  sensitive   = true
}

output "admin_kubeconfig_expires_at" {
  description = "When the admin kubeconfig's certificate expires (RFC 3339)."
  value       = kubeadm_kubeconfig.admin.expires_at
}

output "cluster_health" {
  description = "What the health gate saw when it let the apply go on: the API server's version and each Node's roles and readiness. Null with wait_for_health = false."
  value = var.wait_for_health ? {
    api_server_version = data.kubeadm_cluster_health.this[0].api_server_version
    nodes              = data.kubeadm_cluster_health.this[0].nodes
  } : null
}
