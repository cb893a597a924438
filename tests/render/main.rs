//! Rendered nodes judged by the real upstream programs: the Ignition engine
//! and `ignition-validate` on the golden files, real kubeadm on every
//! rendered config, and generated inputs through the renderer.
//!
//! Each module was once a test binary of its own and keeps that name, so a
//! test's full name is `<module>::<test>`: `cargo test --test render <module>::`
//! runs one module's tests.

#[path = "../support/ignition.rs"]
mod ignition_support;
#[path = "../support/kubeadm.rs"]
mod kubeadm_support;

mod fuzz_inputs;
mod ignition_engine;
mod kubeadm_validate;
