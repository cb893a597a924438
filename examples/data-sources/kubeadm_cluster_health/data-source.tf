# Wait, at apply time, until the new cluster's API server is ready and three
# control-plane and two worker Nodes are Ready; fail after 20 minutes with
# what is still missing (each Node's roles and Ready condition).
data "kubeadm_cluster_health" "prod" {
  kubeconfig = kubeadm_kubeconfig.admin.kubeconfig

  wait_for {
    control_plane_nodes = 3
    worker_nodes        = 2
  }
  timeout       = "20m"
  poll_interval = "10s"

  # Read after the machines exist, not at plan time.
  depends_on = [aws_instance.control_plane, aws_autoscaling_group.workers]
}

# Or connect directly with a client certificate (or a token):
#
# data "kubeadm_cluster_health" "prod" {
#   host                   = "https://api.prod.example.com:6443"
#   cluster_ca_certificate = kubeadm_cluster_ca.prod.ca_cert_pem
#   client_certificate     = var.admin_cert_pem
#   client_key             = var.admin_key_pem
# }

output "kubernetes_version" {
  value = data.kubeadm_cluster_health.prod.api_server_version
}

output "nodes" {
  value = { for n in data.kubeadm_cluster_health.prod.nodes : n.name => n.roles }
}
