output "api_endpoint" {
  description = "The API server endpoint (host:port)."
  value       = module.cluster.api_endpoint
}

output "api_server_url" {
  description = "The API server URL, for a kubeconfig."
  value       = module.cluster.api_server_url
}

output "ca_cert_hash" {
  description = "kubeadm's --discovery-token-ca-cert-hash for joining more nodes by hand."
  value       = module.cluster.ca_cert_hash
}

output "ca_cert_pem" {
  description = "The cluster CA certificate, for a kubeconfig."
  value       = module.cluster.ca_cert_pem
}

output "bootstrap_token_id" {
  description = "The public half of the join token."
  value       = module.cluster.bootstrap_token_id
}

output "bootstrap_token_secret_manifest" {
  description = "The join token's kube-system Secret; kubectl apply it after a renewal."
  value       = module.cluster.bootstrap_token_secret_manifest
  sensitive   = true
}

output "node_configs" {
  description = "The rendered node configs by name: role, object key, object URL, SHA-512."
  value       = module.cluster.node_configs
}

output "store_bucket" {
  description = "The config bucket (name and ARN)."
  value       = module.cluster.store_bucket
}

output "control_plane_instance_profile" {
  description = "Instance profile of the control planes."
  value       = module.cluster.control_plane_instance_profile
}

output "worker_instance_profile" {
  description = "Instance profile of the workers."
  value       = module.cluster.worker_instance_profile
}

output "control_plane_instance_ids" {
  description = "The control-plane instances; the first ran kubeadm init."
  value       = module.cluster.control_plane_instance_ids
}

output "worker_autoscaling_group_name" {
  description = "The workers' auto scaling group."
  value       = module.cluster.worker_autoscaling_group_name
}

output "worker_launch_template_id" {
  description = "The workers' launch template."
  value       = module.cluster.worker_launch_template_id
}

output "vpc_id" {
  description = "The VPC the cluster runs in."
  value       = local.vpc_id
}

output "subnet_ids" {
  description = "The subnets the cluster uses."
  value       = local.subnet_ids
}

output "admin_kubeconfig" {
  description = "An admin kubeconfig for the cluster: terraform output -raw admin_kubeconfig >kubeconfig."
  value       = module.cluster.admin_kubeconfig
  sensitive   = true
}

output "cluster_health" {
  description = "What the health gate saw: the API server's version and the Nodes."
  value       = module.cluster.cluster_health
}
