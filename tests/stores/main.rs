//! The stores and what stands between a node and its config: S3 (moto,
//! s3s-fs) and the local directory, presigned URLs, faults injected into the
//! provider and the store, concurrent and interrupted applies, the artifacts
//! command, and the AWS cluster example applied end to end.
//!
//! Each module was once a test binary of its own and keeps that name, so a
//! test's full name is `<module>::<test>`: `cargo test --test stores <module>::`
//! runs one module's tests.

#[path = "../support/ignition.rs"]
mod ignition_support;
#[path = "../support/mod.rs"]
mod support;

mod artifacts_command;
mod aws_cluster;
mod concurrency;
mod faults;
mod interrupt;
mod presigned_ignition;
mod s3_faults;
mod store_s3;
