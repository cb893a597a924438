//! terraform-provider-kubeadm: renders kubeadm nodes as Ignition configs from
//! plain Terraform, without a Cluster API management cluster.
//!
//! Three layers, one way: `tfplugin` (the protocol, knows no Kubernetes),
//! `bootstrap` (the domain, knows no protocol) and `provider` (the glue);
//! `cli`, the operator's commands, sits on top of all three.
#![forbid(unsafe_code)]

pub mod bootstrap;
pub mod cli;
pub mod provider;
pub mod tfplugin;
