# From a kubeadm pki directory (ca.crt, ca.key, front-proxy-ca.*, etcd/ca.*, sa.*),
# for example one copied from /etc/kubernetes/pki of an existing control plane:
terraform import kubeadm_cluster_ca.prod ./pki
