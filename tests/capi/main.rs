//! Compat mode against Cluster API (manifests and fields, Cluster API's own
//! kubeadm types in a Go program, a real kube-apiserver with Cluster API's
//! CRDs, a fake management API for the live reads) and the cluster health gate
//! against a real kube-apiserver.
//!
//! Each module was once a test binary of its own and keeps that name, so a
//! test's full name is `<module>::<test>`: `cargo test --test capi <module>::`
//! runs one module's tests.

#[path = "../support/apiserver.rs"]
mod apiserver;
#[path = "../support/ignition.rs"]
mod ignition_support;
#[path = "../support/kubeadm.rs"]
mod kubeadm_support;
#[path = "../support/mod.rs"]
mod support;

mod capi_apiserver;
mod capi_cabpk;
mod capi_compat;
mod capi_fields;
mod capi_live;
mod cluster_health;
