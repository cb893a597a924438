//! The domain: kubeadm bootstrap material (tokens, PKI, node configs), reusable
//! on its own. Nothing here knows about Terraform, tonic, prost or msgpack.

pub mod admin_kubeconfig;
pub mod artifacts;
pub mod capi;
pub mod duration;
#[doc(hidden)]
pub mod fixtures;
pub mod health;
pub mod http;
pub mod ignition;
pub mod kube;
pub mod kubeadm;
pub mod net;
pub mod node;
pub mod pki;
pub mod secret;
pub mod store;
pub mod timestamp;
pub mod token;
pub mod yaml;
