//! `kubeadm_ignition_config` (resource) and `data "kubeadm_ignition_config"`:
//! render a node's Ignition config from its inputs. The resource stores it in
//! the provider's store and returns a small pointer config for user data; the
//! data source only renders.
//!
//! Rendering is a pure function of the inputs, done at plan time, so every
//! output is known in the plan and an unchanged configuration plans no change.
//!
//! Two ways to point machines at the stored config (`user_data_mode`):
//! `pinned` stores it under a key holding its content hash and puts that hash
//! into the pointer, so `user_data` changes with every re-render; `stable`
//! keeps one key per node and a pointer without a hash, so `user_data` stays
//! byte-identical while the stored config changes (a rotated token, say).
//!
//! `replace_after` asks for a re-render some time after the config was
//! rendered (`rendered_at`), the way `renew_before` renews a token: the
//! refresh that finds `replace_at` passed marks it, the plan re-renders it in
//! place, and `replace_triggered_by` on the machine rolls the machine.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::node_input::{self, input_block, Reader};
use super::store_config::StoreConfig;
use super::{Clock, ProviderData};
use crate::bootstrap::duration::GoDuration;
use crate::bootstrap::node::{IgnitionVersion, NodeSpec, Role};
use crate::bootstrap::store::{ObjectStore, Probe, StoreError};
use crate::bootstrap::timestamp::{format_rfc3339, parse_rfc3339};
use crate::bootstrap::{artifacts, ignition, kubeadm};
use crate::tfplugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::{DataSource, Plan, Private, Resource};
use crate::tfplugin::schema::{Attribute, Schema};
use crate::tfplugin::value::Value;

mod clock;
mod data_source;
mod keys;
mod render;
mod resource;
mod schema;
mod store;
#[cfg(test)]
mod tests;
mod validate;

use clock::*;
use keys::*;
use render::*;
use store::*;
use validate::*;

pub use data_source::IgnitionConfigDataSource;
pub use keys::{object_key, stable_object_key, UserDataMode};
pub use render::{render, Rendered};
pub use resource::IgnitionConfigResource;
pub use schema::{data_source_schema, resource_schema, WRITE_ONLY_INPUTS};

pub const TYPE_NAME: &str = "kubeadm_ignition_config";

/// EC2 refuses user data above 16 KiB.
pub const USER_DATA_LIMIT: usize = 16 * 1024;
