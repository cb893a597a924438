# Read the Cluster API objects of cluster "prod" from its management cluster,
# with a kubeconfig holding a client certificate or a token.
data "kubeadm_capi_manifests" "prod" {
  kubeconfig_path = "~/.kube/management.yaml"
  context         = "admin@management"
  namespace       = "default"
  cluster_name    = "prod"
}

# Or connect directly, for example with a ServiceAccount token allowed to get
# and list the Cluster API objects and get the secrets they reference:
#
# data "kubeadm_capi_manifests" "prod" {
#   host                   = "https://10.0.0.10:6443"
#   token                  = var.capi_reader_token
#   cluster_ca_certificate = file("management-ca.crt")
#   cluster_name           = "prod"
# }

# One multi-document YAML string per Machine: the input of
# kubeadm_ignition_config's capi_manifests, e.g.
#   capi_manifests = data.kubeadm_capi_manifests.prod.manifests["prod-md-0-7d9f-x2k4p"]
output "machines" {
  value = keys(data.kubeadm_capi_manifests.prod.manifests)
}

# New workers of a pool start from its MachineDeployment and KubeadmConfigTemplate.
output "worker_pools" {
  value = keys(data.kubeadm_capi_manifests.prod.machine_deployments)
}
