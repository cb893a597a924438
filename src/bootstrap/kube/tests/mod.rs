//! Unit tests of the kube module.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::bootstrap::secret::Sensitive;

use base64::Engine as _;

use super::*;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn pair(cn: &str) -> (String, String, rcgen::Certificate, rcgen::KeyPair) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::new(vec![cn.to_string()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem(), cert, key)
}

fn kubeconfig(user: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: Config
current-context: admin@prod
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443/
    insecure-skip-tls-verify: true
- name: other
  cluster:
    server: https://10.0.0.2:6443
contexts:
- name: admin@prod
  context: {{cluster: prod, user: admin}}
- name: other
  context: {{cluster: other, user: admin}}
users:
- name: admin
  user:
{user}
"#
    )
}

fn inline(text: &str) -> Settings {
    Settings { kubeconfig: Some(Sensitive::new(text.to_string())), ..Default::default() }
}

fn err_of(s: &Settings) -> KubeError {
    resolve(s, None).expect_err("resolve should fail")
}

mod collect;
mod exec;
mod kubeconfig;
