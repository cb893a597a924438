//! Builders for the HCL most configurations share: the CA and join token a
//! node needs, and `kubeadm_ignition_config` blocks wired to them for the
//! cluster `prod`. Values given to the builders are HCL expressions written
//! as they are, so strings carry their own quotes (`"\"v1.30.2\""`), and
//! `count.index` or a reference works where a literal would.

use std::fmt;

/// `kubeadm_cluster_ca.ca` for the cluster `prod` with ECDSA P-256 keys (the
/// quickest to generate) and `kubeadm_bootstrap_token.join` with the
/// defaults: what the nodes of [`Node`] refer to.
pub const CA_AND_TOKEN: &str = r#"
resource "kubeadm_cluster_ca" "ca" {
  cluster_name  = "prod"
  key_algorithm = "ECDSA-P256"
}

resource "kubeadm_bootstrap_token" "join" {}
"#;

/// The Kubernetes version nodes get unless a test sets another.
pub const VERSION: &str = "v1.31.4";

/// A `kubeadm_ignition_config` resource or data source of the cluster
/// `prod` (endpoint `api.prod.example.com:6443`, Kubernetes [`VERSION`]),
/// signed by `kubeadm_cluster_ca.ca` and joining with
/// `kubeadm_bootstrap_token.join` ([`CA_AND_TOKEN`]). Attributes keep the
/// order they were first set in; setting one again replaces its value.
#[derive(Debug, Clone)]
pub struct Node {
    kind: &'static str,
    name: String,
    attrs: Vec<(String, String)>,
    cluster: Vec<(String, String)>,
    blocks: Vec<String>,
}

impl Node {
    /// `resource "kubeadm_ignition_config" "<name>"` with `role = "<role>"`.
    pub fn resource(name: &str, role: &str) -> Node {
        Node::new("resource", name, role)
    }

    /// `data "kubeadm_ignition_config" "<name>"` with `role = "<role>"`.
    pub fn data(name: &str, role: &str) -> Node {
        Node::new("data", name, role)
    }

    fn new(kind: &'static str, name: &str, role: &str) -> Node {
        let attrs = vec![
            ("role".to_string(), format!("{role:?}")),
            ("cluster_ca".to_string(), "kubeadm_cluster_ca.ca".to_string()),
            ("bootstrap_token".to_string(), "kubeadm_bootstrap_token.join".to_string()),
        ];
        let cluster = vec![
            ("name".to_string(), "\"prod\"".to_string()),
            ("kubernetes_version".to_string(), format!("{VERSION:?}")),
            ("control_plane_endpoint".to_string(), "\"api.prod.example.com:6443\"".to_string()),
        ];
        Node { kind, name: name.to_string(), attrs, cluster, blocks: Vec::new() }
    }

    /// Sets a top-level attribute to an HCL expression.
    pub fn attr(mut self, key: &str, value: impl Into<String>) -> Node {
        set(&mut self.attrs, key, value.into());
        self
    }

    /// Sets an attribute of the `cluster` block to an HCL expression.
    pub fn cluster(mut self, key: &str, value: impl Into<String>) -> Node {
        set(&mut self.cluster, key, value.into());
        self
    }

    /// Leaves an attribute of the `cluster` block out.
    pub fn without_cluster(mut self, key: &str) -> Node {
        self.cluster.retain(|(k, _)| k != key);
        self
    }

    /// Appends HCL (a nested block, say) after the `cluster` block.
    pub fn block(mut self, hcl: impl Into<String>) -> Node {
        self.blocks.push(hcl.into());
        self
    }
}

fn set(list: &mut Vec<(String, String)>, key: &str, value: String) {
    match list.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => list.push((key.to_string(), value)),
    }
}

/// `key = value` lines with the signs lined up, as `terraform fmt` writes.
fn write_attrs(f: &mut fmt::Formatter<'_>, attrs: &[(String, String)], indent: &str) -> fmt::Result {
    let width = attrs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in attrs {
        writeln!(f, "{indent}{k:width$} = {v}")?;
    }
    Ok(())
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f)?;
        writeln!(f, "{} \"kubeadm_ignition_config\" {:?} {{", self.kind, self.name)?;
        write_attrs(f, &self.attrs, "  ")?;
        writeln!(f, "  cluster {{")?;
        write_attrs(f, &self.cluster, "    ")?;
        writeln!(f, "  }}")?;
        for block in &self.blocks {
            writeln!(f, "  {}", block.trim())?;
        }
        writeln!(f, "}}")
    }
}

/// A `provider "kubeadm"` block whose store is the S3 bucket `bucket` at the
/// S3-compatible `endpoint` (region `us-east-1`, path-style addressing), with
/// `attrs` (HCL expressions) added to the `s3` block.
pub fn s3_provider(bucket: &str, endpoint: &str, attrs: &[(&str, &str)]) -> String {
    let mut s3 = vec![
        ("bucket".to_string(), format!("{bucket:?}")),
        ("region".to_string(), "\"us-east-1\"".to_string()),
        ("endpoint".to_string(), format!("{endpoint:?}")),
        ("force_path_style".to_string(), "true".to_string()),
    ];
    for (k, v) in attrs {
        set(&mut s3, k, v.to_string());
    }
    struct Attrs<'a>(&'a [(String, String)]);
    impl fmt::Display for Attrs<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_attrs(f, self.0, "      ")
        }
    }
    format!("\nprovider \"kubeadm\" {{\n  store {{\n    s3 {{\n{}    }}\n  }}\n}}\n", Attrs(&s3))
}
