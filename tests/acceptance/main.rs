//! Acceptance tests of the provider's resources, data sources and ephemeral
//! resources through real Terraform and OpenTofu binaries: plans, applies,
//! imports, state upgrades, diagnostics for bad input, what reaches the state
//! and the disk, and the generated docs and examples.
//!
//! Each module was once a test binary of its own and keeps that name, so a
//! test's full name is `<module>::<test>`: `cargo test --test acceptance <module>::`
//! runs one module's tests.

#[path = "../support/mod.rs"]
mod support;

mod acceptance_bootstrap_token;
mod acceptance_cluster_ca;
mod acceptance_ignition_config;
mod acceptance_kubeconfig;
mod acceptance_s3_store;
mod bad_input;
mod docs_and_examples;
mod plan_validation;
mod secrets;
mod secrets_state;
mod upgrade_state;
