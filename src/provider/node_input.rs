//! The inputs of `kubeadm_ignition_config` (resource and data source): their
//! schema, and their translation into the domain's `NodeSpec` with
//! plan-time diagnostics that point at the attribute at fault.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::bootstrap::artifacts::{self, parse_mode, valid_sha512};
use crate::bootstrap::capi;
use crate::bootstrap::node::{
    ApiServerSpec, Artifacts, CaMaterial, ClusterSpec, ComponentSpec, ControlPlanePki, EtcdSpec, FileSpec,
    IgnitionVersion, KubeadmPatches, KubernetesVersion, NameFrom, NodeOptions, NodeSpec, OperatingSystem, RemoteFile,
    Role, Taint, TokenSpec, UserSpec, DEFAULT_DNS_DOMAIN, DEFAULT_SERVICE_SUBNET,
};
use crate::bootstrap::secret::Sensitive;
use crate::tfplugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::tfplugin::schema::{Attribute, Block, BlockType, Nesting};
use crate::tfplugin::types::Type;
use crate::tfplugin::value::Value;

/// The attributes of `kubeadm_cluster_ca` a node needs; passing the whole
/// resource object works (extra attributes are dropped by Terraform).
pub const CA_FIELDS: [&str; 9] = [
    "ca_cert_pem",
    "ca_key_pem",
    "front_proxy_ca_cert_pem",
    "front_proxy_ca_key_pem",
    "etcd_ca_cert_pem",
    "etcd_ca_key_pem",
    "service_account_public_key_pem",
    "service_account_private_key_pem",
    "ca_cert_hash",
];

/// The attributes of `kubeadm_bootstrap_token` a node needs.
pub const TOKEN_FIELDS: [&str; 5] = ["token", "expires_at", "description", "usages", "groups"];

fn object_of(fields: &[&str]) -> Type {
    Type::object(fields.iter().map(|f| {
        let t = if matches!(*f, "usages" | "groups") { Type::list(Type::String) } else { Type::String };
        (f.to_string(), t)
    }))
}

fn one_of(name: &'static str, allowed: &'static [&'static str]) -> impl Fn(&Value) -> Vec<Diagnostic> + Send + Sync {
    move |v| match v.as_str() {
        Some(s) if !allowed.contains(&s) => vec![Diagnostic::error(
            format!("Invalid {name}"),
            format!(
                "{s:?} is not supported; use one of: {}.",
                allowed.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ")
            ),
        )],
        _ => vec![],
    }
}

fn component(name: &str, what: &str) -> BlockType {
    BlockType::new(
        name,
        Nesting::Single,
        Block::new(vec![Attribute::string_map("extra_args").optional().describe(&format!("Extra flags for {what}."))]),
    )
}

/// The inputs shared by the resource and the data source.
pub fn input_block() -> Block {
    let cluster = Block::new(vec![
        Attribute::string("name")
            .optional()
            .describe("Cluster name (`clusterName`). Required unless `capi_manifests` gives it."),
        Attribute::string("kubernetes_version")
            .optional()
            .describe("Kubernetes version, e.g. `v1.31.4`. Picks kubeadm's config API: `v1beta3` for 1.22–1.30, `v1beta4` from 1.31. Required unless `capi_manifests` gives it (the Machine's `spec.version`).")
            .validate(|v| match v.as_str().map(KubernetesVersion::parse) {
                Some(Err(e)) => vec![Diagnostic::error("Unsupported Kubernetes version", e.to_string())],
                _ => vec![],
            }),
        Attribute::string("control_plane_endpoint").optional().describe(
            "`host[:port]` of the API server load balancer (`controlPlaneEndpoint`). Required for joins; set it at init too, or control-plane nodes cannot join later.",
        ),
        Attribute::string("pod_subnet").optional().describe("Pod network CIDR(s), comma-separated for dual stack."),
        Attribute::string("service_subnet")
            .default(Value::from(DEFAULT_SERVICE_SUBNET))
            .describe("Service network CIDR(s), comma-separated for dual stack."),
        Attribute::string("dns_domain").default(Value::from(DEFAULT_DNS_DOMAIN)).describe("Cluster DNS domain."),
        Attribute::string("image_repository").optional().describe("Registry for control-plane images (default: kubeadm's)."),
        Attribute::of_type("feature_gates", Type::map(Type::Bool)).optional().describe("Feature gates for every component."),
    ])
    .with_blocks(vec![
        BlockType::new(
            "api_server",
            Nesting::Single,
            Block::new(vec![
                Attribute::string_map("extra_args").optional().describe("Extra kube-apiserver flags."),
                Attribute::string_list("cert_sans").optional().describe("Extra SANs for the API server certificate."),
            ]),
        ),
        component("controller_manager", "kube-controller-manager"),
        component("scheduler", "kube-scheduler"),
        BlockType::new(
            "etcd",
            Nesting::Single,
            Block::new(vec![
                Attribute::string_map("extra_args").optional().describe("Extra etcd flags."),
                Attribute::string("data_dir").optional().describe("etcd data directory (default `/var/lib/etcd`)."),
            ]),
        ),
    ])
    .describe("Cluster-wide settings (kubeadm's `ClusterConfiguration`).");

    let node = Block::new(vec![
        Attribute::string("name_from")
            .default(Value::from("hostname"))
            .describe("`aws`: the node name is the EC2 private DNS name and the kubelet's provider ID `aws:///<zone>/<instance>`, read from the OS metadata agent at boot. `hostname`: kubeadm's default.")
            .validate(one_of("name_from", &["aws", "hostname"])),
        Attribute::string_map("labels").optional().describe("Node labels."),
        Attribute::nested(
            "taints",
            Nesting::List,
            vec![
                Attribute::string("key").required(),
                Attribute::string("value").optional(),
                Attribute::string("effect")
                    .required()
                    .validate(one_of("taint effect", &["NoSchedule", "PreferNoSchedule", "NoExecute"])),
            ],
        )
        .optional()
        .describe("Node taints. Unset keeps kubeadm's default (control planes are tainted); `[]` means none."),
        Attribute::string_map("kubelet_extra_args").optional().describe("Extra kubelet flags."),
        Attribute::string_list("skip_phases").optional().describe("kubeadm phases to skip."),
        Attribute::string_list("ignore_preflight_errors").optional().describe("kubeadm preflight checks to ignore."),
        Attribute::number("kubeadm_verbosity").optional().describe("kubeadm's log level (`--v`, 0–10).").validate(|v| {
            match v.as_i64() {
                Some(n) if !(0..=10).contains(&n) => {
                    vec![Diagnostic::error("Invalid kubeadm_verbosity", format!("{n} is out of range; use 0 to 10."))]
                }
                // A fraction (or a number too large for an integer) would otherwise be dropped silently.
                None if !v.is_null() => {
                    vec![Diagnostic::error("Invalid kubeadm_verbosity", "Use a whole number from 0 to 10.")]
                }
                _ => vec![],
            }
        }),
    ])
    .describe("Node registration.");

    let artifacts = Block::new(vec![
        Attribute::string("source")
            .default(Value::from("preinstalled"))
            .describe("`preinstalled` (the image has kubeadm and kubelet), `manifest` (a version manifest) or `urls` (the `files` blocks).")
            .validate(one_of("artifact source", &["preinstalled", "manifest", "urls"])),
        Attribute::string("manifest_url")
            .optional()
            .describe("Where the version manifest is: a local path, `https://` or `s3://` URL (with `source = \"manifest\"`)."),
    ])
    .with_blocks(vec![BlockType::new(
        "files",
        Nesting::List,
        Block::new(vec![
            Attribute::string("path").required().describe("Absolute path on the node."),
            Attribute::string("url").required().describe("Where the node fetches it."),
            Attribute::string("sha512")
                .required()
                .describe("Hex SHA-512 of the file; the node refuses anything else.")
                .validate(|v| match v.as_str() {
                    Some(s) if !valid_sha512(s) => vec![Diagnostic::error("Invalid sha512", "Write the SHA-512 as 128 hex digits.")],
                    _ => vec![],
                }),
            Attribute::string("mode").optional().describe("File mode, default `0755`.").validate(mode_validator),
            Attribute::string("extract_to").optional().describe("Unpack this `.tar.gz` into this directory before kubeadm runs."),
        ]),
    )])
    .describe("How kubeadm, kubelet and friends reach the node.");

    let files = Block::new(vec![
        Attribute::string("path").required().describe("Absolute path."),
        Attribute::string("content").required().sensitive().describe("File contents."),
        Attribute::string("mode").default(Value::from("0644")).describe("Octal mode.").validate(mode_validator),
        Attribute::string("owner").optional().describe("`user:group`, default `root:root`."),
    ]);
    let users = Block::new(vec![
        Attribute::string("name").required().describe("Account name; created when missing."),
        Attribute::string_list("ssh_authorized_keys").optional().describe("SSH public keys, one per entry."),
        Attribute::string_list("groups").optional().describe("Supplementary groups."),
        Attribute::string("primary_group").optional().describe("Primary group."),
        Attribute::string("gecos").optional().describe("Comment (full name) field."),
        Attribute::string("home_dir").optional().describe("Home directory (absolute)."),
        Attribute::string("shell").optional().describe("Login shell (absolute)."),
        Attribute::string("password_hash")
            .optional()
            .sensitive()
            .describe("crypt(3) password hash; without one the account has no password login."),
    ]);
    let ntp = Block::new(vec![Attribute::string_list("servers").required().describe("NTP servers.")]);
    let patch_attr = |n: &str, doc: &str| {
        Attribute::string(n)
            .optional()
            .describe(&format!("YAML merge patch onto the generated {doc}; unknown fields are errors."))
    };
    let patches = Block::new(vec![
        patch_attr("cluster_configuration", "`ClusterConfiguration`"),
        patch_attr("init_configuration", "`InitConfiguration`"),
        patch_attr("join_configuration", "`JoinConfiguration`"),
        patch_attr("kubelet_configuration", "`KubeletConfiguration`"),
        patch_attr("kube_proxy_configuration", "`KubeProxyConfiguration`"),
    ]);

    Block::new(vec![
        Attribute::string("role")
            .optional()
            .describe("`init` (the first control plane), `control-plane` (joins as control plane) or `worker`. Required unless `capi_manifests` lets the provider infer it as Cluster API would.")
            .validate(one_of("role", &["init", "control-plane", "worker"])),
        Attribute::string("name").optional().describe("Node or pool name, part of the object key."),
        Attribute::of_type("cluster_ca", object_of(&CA_FIELDS))
            .optional()
            .sensitive()
            .describe("The `kubeadm_cluster_ca` resource (the whole object). Keys ship only to init and control-plane nodes; workers get the CA hash."),
        Attribute::of_type("bootstrap_token", object_of(&TOKEN_FIELDS))
            .required()
            .sensitive()
            .describe("The `kubeadm_bootstrap_token` resource (the whole object)."),
        Attribute::string("operating_system")
            .default(Value::from("flatcar"))
            .describe("`flatcar` or `fedora-coreos`.")
            .validate(one_of("operating_system", &["flatcar", "fedora-coreos"])),
        Attribute::string("ignition_version")
            .default(Value::from("3.3.0"))
            .describe("Ignition spec version: `3.3.0` (accepted by every current Flatcar and Fedora CoreOS) or `3.4.0`.")
            .validate(one_of("ignition_version", &["3.3.0", "3.4.0"])),
        Attribute::string_list("pre_kubeadm_commands").optional().describe("Shell commands run before kubeadm."),
        Attribute::string_list("post_kubeadm_commands").optional().describe("Shell commands run after kubeadm succeeded."),
        Attribute::string_list("additional_ignition")
            .optional()
            .describe("Ignition configs (JSON) merged onto the rendered one with Ignition's merge rules."),
        Attribute::string("capi_manifests").optional().describe(
            "Compat mode: multi-document YAML with a Cluster API `KubeadmConfig`, `KubeadmConfigTemplate` or `KubeadmControlPlane` (v1alpha3–v1beta2), optionally with its `Cluster`, `Machine` or `MachineDeployment` and `Secret`s. The node is rendered from them as Cluster API's kubeadm bootstrap provider would; blocks and attributes set here override them. See the migration guide.",
        ),
        Attribute::of_type("capi_secrets", Type::map(Type::map(Type::String)))
            .optional()
            .sensitive()
            .describe("Values of the Secrets that `capi_manifests` files read with `contentFrom` (and users with `passwdFrom`): secret name → key → value (plain text)."),
    ])
    .with_blocks(vec![
        BlockType::new("cluster", Nesting::Single, cluster),
        BlockType::new("node", Nesting::Single, node),
        BlockType::new("kubernetes_artifacts", Nesting::Single, artifacts),
        BlockType::new("files", Nesting::List, files),
        BlockType::new("users", Nesting::List, users),
        BlockType::new("ntp", Nesting::Single, ntp),
        BlockType::new("kubeadm_config_patches", Nesting::Single, patches),
    ])
}

fn mode_validator(v: &Value) -> Vec<Diagnostic> {
    match v.as_str() {
        Some(s) if parse_mode(s).is_none() => {
            vec![Diagnostic::error(
                "Invalid file mode",
                format!("{s:?} is not an octal mode such as \"0644\" or \"0755\"."),
            )]
        }
        _ => vec![],
    }
}

/// A CIDR list as kubeadm takes it (`10.0.0.0/16` or `10.0.0.0/16,fd00::/108`).
fn parse_cidrs(s: &str) -> Option<Vec<(IpAddr, u8)>> {
    s.split(',')
        .map(|c| {
            let (ip, len) = c.trim().split_once('/')?;
            let ip: IpAddr = ip.parse().ok()?;
            let len: u8 = len.parse().ok()?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            (len <= max).then_some((ip, len))
        })
        .collect()
}

fn overlaps(a: (IpAddr, u8), b: (IpAddr, u8)) -> bool {
    let bits = |ip: IpAddr| -> u128 {
        match ip {
            IpAddr::V4(v) => u128::from(u32::from(v)) << 96,
            IpAddr::V6(v) => u128::from(v),
        }
    };
    if a.0.is_ipv4() != b.0.is_ipv4() {
        return false;
    }
    // IPv4 addresses sit in the top 32 bits, so prefix lengths count from the top for both.
    let len = u32::from(a.1.min(b.1));
    let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
    bits(a.0) & mask == bits(b.0) & mask
}

/// `host[:port]` with a plausible host.
fn valid_endpoint(s: &str) -> bool {
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.starts_with('[') => (h, Some(p)),
        _ => (s, None),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && (host.parse::<IpAddr>().is_ok()
            || host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
    port_ok && host_ok
}

fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_string_map().unwrap_or_default()
}

fn string_vec(v: &Value) -> Vec<String> {
    v.as_string_vec().unwrap_or_default()
}

/// The result of reading the inputs: a NodeSpec, or `None` when something is
/// still unknown (the plan then leaves rendered values unknown) or wrong
/// (errors are in the diagnostics).
pub struct Reader<'a> {
    pub config: &'a Value,
    pub diags: &'a mut Diagnostics,
    /// Fetch the artifacts manifest (plan and apply); validation skips it.
    pub fetch_manifest: bool,
    /// Manifests already read by the caller (once per process, `s3://` ones
    /// through the store's client): URL → bytes, or the reason they could not
    /// be read. A URL missing here is read on the spot.
    pub prefetched: Option<&'a BTreeMap<String, Result<Vec<u8>, String>>>,
}

/// How many problems of one list (files, manifest findings) are reported
/// one by one before the rest are only counted.
const MAX_REPORTED: usize = 20;

fn err(diags: &mut Diagnostics, path: AttrPath, summary: &str, detail: String) {
    diags.push(Diagnostic::error(summary, detail).at(path));
}

impl Reader<'_> {
    /// Checks what can be checked without rendering (used by validation too).
    pub fn read(&mut self) -> Option<NodeSpec> {
        let c = self.config;
        if !c.is_wholly_known() {
            // Still check what is known, then wait for the rest.
            self.check_partial();
            return None;
        }
        let capi = self.capi()?;
        let role = match (c.get("role").as_str(), &capi) {
            (Some(r), _) => Role::parse(r)?,
            (None, Some(m)) => match m.inferred_role() {
                Ok(r) => r,
                Err(why) => {
                    err(
                        self.diags,
                        AttrPath::attr("role"),
                        "Cannot infer the node's role",
                        format!("{why}. Set role = \"init\", \"control-plane\" or \"worker\"."),
                    );
                    return None;
                }
            },
            (None, None) => {
                err(
                    self.diags,
                    AttrPath::attr("role"),
                    "Missing role",
                    "Set role = \"init\", \"control-plane\" or \"worker\" (or give capi_manifests to infer it).".into(),
                );
                return None;
            }
        };
        let cl = c.get("cluster");
        let cpath = AttrPath::attr("cluster");
        let hcl_str = |v: &Value| v.as_str().map(str::to_string);
        let from_capi = |f: fn(&capi::Manifests) -> Option<String>| capi.as_ref().and_then(f);
        let version_text =
            hcl_str(cl.get("kubernetes_version")).or_else(|| from_capi(|m| m.kubernetes_version.clone()));
        let Some(version_text) = version_text else {
            err(self.diags, cpath.then_attr("kubernetes_version"), "Missing kubernetes_version", "Set cluster.kubernetes_version, e.g. \"v1.31.4\" (in compat mode the Machine's spec.version gives it).".into());
            return None;
        };
        let version = match KubernetesVersion::parse(&version_text) {
            Ok(v) => v,
            Err(e) => {
                // The attribute's own validator reports HCL values.
                if cl.get("kubernetes_version").is_null() {
                    err(
                        self.diags,
                        AttrPath::attr("capi_manifests"),
                        "Unsupported Kubernetes version",
                        format!("The manifests give {e}."),
                    );
                }
                return None;
            }
        };
        let resolved = capi.as_ref().map(|m| m.resolve(role, version.uses_v1beta4()));
        if let Some(r) = &resolved {
            self.findings(&r.findings);
        }
        let Some(cluster_name) = hcl_str(cl.get("name")).or_else(|| from_capi(|m| m.cluster_name.clone())) else {
            err(
                self.diags,
                cpath.then_attr("name"),
                "Missing cluster name",
                "Set cluster.name (in compat mode the Cluster object gives it).".into(),
            );
            return None;
        };
        let endpoint =
            hcl_str(cl.get("control_plane_endpoint")).or_else(|| from_capi(|m| m.control_plane_endpoint.clone()));
        match &endpoint {
            None if role != Role::Init => err(
                self.diags,
                cpath.clone().then_attr("control_plane_endpoint"),
                "Missing control_plane_endpoint",
                format!("A {} node joins through the control-plane endpoint; set cluster.control_plane_endpoint to the API load balancer's host[:port].", role.as_str()),
            ),
            Some(e) if !valid_endpoint(e) => err(
                self.diags,
                cpath.clone().then_attr("control_plane_endpoint"),
                "Invalid control_plane_endpoint",
                format!("{e:?} is not host[:port]; e.g. \"api.prod.example.com:6443\"."),
            ),
            _ => {}
        }
        let service_subnet = hcl_str(cl.get("service_subnet"))
            .or_else(|| from_capi(|m| m.service_subnet.clone()))
            .unwrap_or_else(|| DEFAULT_SERVICE_SUBNET.to_string());
        let pod_subnet = hcl_str(cl.get("pod_subnet")).or_else(|| from_capi(|m| m.pod_subnet.clone()));
        let svc = parse_cidrs(&service_subnet);
        if svc.is_none() {
            err(
                self.diags,
                cpath.clone().then_attr("service_subnet"),
                "Invalid service_subnet",
                format!("{service_subnet:?} is not a CIDR such as \"10.96.0.0/12\"."),
            );
        }
        if let Some(p) = &pod_subnet {
            match parse_cidrs(p) {
                None => err(
                    self.diags,
                    cpath.clone().then_attr("pod_subnet"),
                    "Invalid pod_subnet",
                    format!("{p:?} is not a CIDR such as \"192.168.0.0/16\"."),
                ),
                Some(pods) => {
                    if let Some(svc) = &svc {
                        if pods.iter().any(|a| svc.iter().any(|b| overlaps(*a, *b))) {
                            err(
                                self.diags,
                                cpath.clone().then_attr("pod_subnet"),
                                "Overlapping subnets",
                                format!("pod_subnet {p:?} overlaps service_subnet {service_subnet:?}; pick disjoint ranges."),
                            );
                        }
                    }
                }
            }
        }
        let cc = capi.as_ref().and_then(|m| m.spec.cluster.clone()).unwrap_or_default();
        let api = cl.get("api_server");
        let merged = |base: &BTreeMap<String, String>, over: &Value| {
            let mut out = base.clone();
            out.extend(string_map(over));
            out
        };
        let mut feature_gates = cc.feature_gates.clone();
        if let Some(m) = cl.get("feature_gates").as_entries() {
            feature_gates.extend(m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_bool()?))));
        }
        let cluster = ClusterSpec {
            name: cluster_name,
            kubernetes_version: version.clone(),
            control_plane_endpoint: endpoint.unwrap_or_default(),
            pod_subnet,
            service_subnet,
            dns_domain: hcl_str(cl.get("dns_domain"))
                .or_else(|| from_capi(|m| m.dns_domain.clone()))
                .unwrap_or_else(|| DEFAULT_DNS_DOMAIN.to_string()),
            image_repository: hcl_str(cl.get("image_repository")).or(cc.image_repository.clone()),
            feature_gates,
            api_server: ApiServerSpec {
                extra_args: merged(&cc.api_server.extra_args, api.get("extra_args")),
                cert_sans: api.get("cert_sans").as_string_vec().unwrap_or(cc.api_server.cert_sans.clone()),
            },
            controller_manager: ComponentSpec {
                extra_args: merged(&cc.controller_manager.extra_args, cl.get("controller_manager").get("extra_args")),
            },
            scheduler: ComponentSpec {
                extra_args: merged(&cc.scheduler.extra_args, cl.get("scheduler").get("extra_args")),
            },
            etcd: EtcdSpec {
                extra_args: merged(&cc.etcd.extra_args, cl.get("etcd").get("extra_args")),
                data_dir: hcl_str(cl.get("etcd").get("data_dir")).or(cc.etcd.data_dir.clone()),
            },
        };

        let ca = c.get("cluster_ca");
        let (pki, mut hashes) = if ca.is_null() {
            err(
                self.diags,
                AttrPath::attr("cluster_ca"),
                "Missing cluster_ca",
                format!(
                    "A {} node needs the cluster CA ({}); set cluster_ca = kubeadm_cluster_ca.<name>.",
                    role.as_str(),
                    if role.is_control_plane() { "its keys go to /etc/kubernetes/pki" } else { "joins pin its hash" }
                ),
            );
            (None, Vec::new())
        } else {
            let s = |k: &str| ca.get(k).as_str().unwrap_or_default().to_string();
            let pki = role.is_control_plane().then(|| ControlPlanePki {
                ca: CaMaterial { cert_pem: s("ca_cert_pem"), key_pem: Sensitive::new(s("ca_key_pem")) },
                front_proxy_ca: CaMaterial {
                    cert_pem: s("front_proxy_ca_cert_pem"),
                    key_pem: Sensitive::new(s("front_proxy_ca_key_pem")),
                },
                etcd_ca: CaMaterial { cert_pem: s("etcd_ca_cert_pem"), key_pem: Sensitive::new(s("etcd_ca_key_pem")) },
                sa_public_pem: s("service_account_public_key_pem"),
                sa_private_pem: Sensitive::new(s("service_account_private_key_pem")),
            });
            if pki.is_some() {
                let missing: Vec<&str> =
                    CA_FIELDS[..8].iter().copied().filter(|f| ca.get(f).as_str().is_none_or(str::is_empty)).collect();
                if !missing.is_empty() {
                    err(
                        self.diags,
                        AttrPath::attr("cluster_ca"),
                        "Incomplete cluster_ca",
                        format!("A control-plane node needs every CA pair; missing: {}.", missing.join(", ")),
                    );
                }
            }
            let hash = s("ca_cert_hash");
            if hash.is_empty() {
                err(
                    self.diags,
                    AttrPath::attr("cluster_ca"),
                    "Incomplete cluster_ca",
                    "cluster_ca has no ca_cert_hash; pass the whole kubeadm_cluster_ca resource.".into(),
                );
            }
            (pki, vec![hash])
        };
        if let Some(r) = &resolved {
            for h in &r.node.ca_cert_hashes {
                if !hashes.contains(h) {
                    hashes.push(h.clone());
                }
            }
        }

        let tok = c.get("bootstrap_token");
        let token = tok.get("token").as_str().unwrap_or_default().to_string();
        if crate::bootstrap::token::BootstrapToken::parse(&token).is_err() {
            err(
                self.diags,
                AttrPath::attr("bootstrap_token"),
                "Invalid bootstrap_token",
                "bootstrap_token.token is not a kubeadm token; pass the whole kubeadm_bootstrap_token resource.".into(),
            );
        }
        let bootstrap_token = TokenSpec {
            token: Sensitive::new(token),
            description: tok.get("description").as_str().map(str::to_string),
            expires: tok.get("expires_at").as_str().map(str::to_string),
            usages: string_vec(tok.get("usages")),
            groups: string_vec(tok.get("groups")),
        };

        let n = c.get("node");
        let part = resolved.as_ref().map(|r| r.node.clone()).unwrap_or_default();
        let name_from = match n.get("name_from").as_str() {
            Some("aws") => NameFrom::Aws,
            Some(_) => NameFrom::Hostname,
            None => part.name.name_from().unwrap_or(NameFrom::Hostname),
        };
        let hcl_taints = n.get("taints").as_elements().map(|ts| {
            ts.iter()
                .map(|t| Taint {
                    key: t.get("key").as_str().unwrap_or_default().to_string(),
                    value: t.get("value").as_str().map(str::to_string),
                    effect: t.get("effect").as_str().unwrap_or_default().to_string(),
                })
                .collect()
        });
        let node = NodeOptions {
            name_from,
            labels: string_map(n.get("labels")),
            taints: hcl_taints.or(part.taints.clone()),
            kubelet_extra_args: merged(&part.kubelet_extra_args, n.get("kubelet_extra_args")),
            skip_phases: n.get("skip_phases").as_string_vec().unwrap_or(part.skip_phases.clone()),
            ignore_preflight_errors: n
                .get("ignore_preflight_errors")
                .as_string_vec()
                .unwrap_or(part.ignore_preflight_errors.clone()),
            kubeadm_verbosity: n
                .get("kubeadm_verbosity")
                .as_i64()
                .and_then(|v| u8::try_from(v).ok())
                .or(capi.as_ref().and_then(|m| m.spec.verbosity)),
        };
        let os = OperatingSystem::parse(c.get("operating_system").as_str().unwrap_or("flatcar"))?;
        let ignition_version = IgnitionVersion::parse(c.get("ignition_version").as_str().unwrap_or("3.3.0"))?;
        let artifacts = self.artifacts(os, &version)?;
        let spec_of = capi.as_ref().map(|m| m.spec.clone()).unwrap_or_default();
        // HCL files and users replace manifest entries with the same path or name.
        let mut files = spec_of.files_for(&version.to_string());
        for f in self.files() {
            files.retain(|x| x.path != f.path);
            files.push(f);
        }
        let mut users = spec_of.users.clone();
        for u in c.get("users").as_elements().unwrap_or_default() {
            let user = UserSpec {
                name: u.get("name").as_str().unwrap_or_default().to_string(),
                ssh_authorized_keys: string_vec(u.get("ssh_authorized_keys")),
                groups: string_vec(u.get("groups")),
                gecos: hcl_str(u.get("gecos")),
                home_dir: hcl_str(u.get("home_dir")),
                shell: hcl_str(u.get("shell")),
                primary_group: hcl_str(u.get("primary_group")),
                password_hash: hcl_str(u.get("password_hash")).map(Sensitive::new),
            };
            users.retain(|x| x.name != user.name);
            users.push(user);
        }
        let mut additional_ignition = spec_of.additional_ignition.clone();
        additional_ignition.extend(string_vec(c.get("additional_ignition")));
        let p = c.get("kubeadm_config_patches");
        let capi_patches = resolved.as_ref().map(|r| r.patches.clone()).unwrap_or_default();
        let patch = |k: &str, from_capi: &Option<String>| {
            let hcl = p.get(k).as_str().map(str::to_string);
            match (from_capi, hcl) {
                (Some(a), Some(b)) => capi::compose_patches(a, &b).or(Some(b)),
                (a, b) => b.or(a.clone()),
            }
        };
        let ntp = c.get("ntp");
        let spec = NodeSpec {
            role,
            cluster,
            pki,
            ca_cert_hashes: hashes,
            bootstrap_token,
            node,
            os,
            ignition_version,
            artifacts,
            files,
            pre_kubeadm_commands: c
                .get("pre_kubeadm_commands")
                .as_string_vec()
                .unwrap_or(spec_of.pre_kubeadm_commands.clone()),
            post_kubeadm_commands: c
                .get("post_kubeadm_commands")
                .as_string_vec()
                .unwrap_or(spec_of.post_kubeadm_commands.clone()),
            users,
            ntp_servers: if ntp.is_null() { spec_of.ntp_servers.clone() } else { string_vec(ntp.get("servers")) },
            additional_ignition,
            patches: KubeadmPatches {
                cluster_configuration: patch("cluster_configuration", &capi_patches.cluster_configuration),
                init_configuration: patch("init_configuration", &capi_patches.init_configuration),
                join_configuration: patch("join_configuration", &capi_patches.join_configuration),
                kubelet_configuration: patch("kubelet_configuration", &None),
                kube_proxy_configuration: patch("kube_proxy_configuration", &None),
            },
        };
        (!self.diags.has_errors()).then_some(spec)
    }

    /// What neither HCL nor the manifests give, when what HCL sets is known.
    fn required(&mut self, m: Option<&capi::Manifests>) {
        let c = self.config;
        let cl = c.get("cluster");
        if c.get("role").is_null() {
            match m.map(capi::Manifests::inferred_role) {
                Some(Ok(_)) => {}
                Some(Err(why)) => err(
                    self.diags,
                    AttrPath::attr("role"),
                    "Cannot infer the node's role",
                    format!("{why}. Set role = \"init\", \"control-plane\" or \"worker\"."),
                ),
                None => err(
                    self.diags,
                    AttrPath::attr("role"),
                    "Missing role",
                    "Set role = \"init\", \"control-plane\" or \"worker\" (or give capi_manifests to infer it).".into(),
                ),
            }
        }
        if !cl.is_known() {
            return;
        }
        if cl.get("kubernetes_version").is_null() && m.and_then(|m| m.kubernetes_version.as_ref()).is_none() {
            err(self.diags, AttrPath::attr("cluster").then_attr("kubernetes_version"), "Missing kubernetes_version", "Set cluster.kubernetes_version, e.g. \"v1.31.4\" (in compat mode the Machine's spec.version gives it).".into());
        }
        if cl.get("name").is_null() && m.and_then(|m| m.cluster_name.as_ref()).is_none() {
            err(
                self.diags,
                AttrPath::attr("cluster").then_attr("name"),
                "Missing cluster name",
                "Set cluster.name (in compat mode the Cluster object gives it).".into(),
            );
        }
    }

    /// Parses `capi_manifests` when set. `Some(None)`: compat mode is off;
    /// `None`: the manifests are unusable (errors reported).
    fn capi(&mut self) -> Option<Option<capi::Manifests>> {
        let Some(text) = self.config.get("capi_manifests").as_str() else { return Some(None) };
        let mut secrets = capi::Secrets::new();
        if let Some(m) = self.config.get("capi_secrets").as_entries() {
            for (name, keys) in m {
                secrets.insert(name.clone(), string_map(keys));
            }
        }
        let m = capi::parse(text, &secrets);
        self.findings(&m.findings);
        (!m.has_errors()).then_some(Some(m))
    }

    /// Reports manifest findings: errors always, warnings at plan time only
    /// (validation would show them twice).
    /// At most [`MAX_REPORTED`] of them, then one diagnostic counting the rest,
    /// so a huge input cannot flood the output.
    fn findings(&mut self, findings: &[capi::Finding]) {
        let (mut shown, mut hidden, mut hidden_errors) = (0, 0, false);
        for f in findings {
            let d = if f.is_error() {
                Diagnostic::error("Unusable capi_manifests", format!("{f}."))
            } else if self.fetch_manifest {
                Diagnostic::warning("capi_manifests: not carried over as written", format!("{f}."))
            } else {
                continue;
            };
            if shown == MAX_REPORTED {
                hidden += 1;
                hidden_errors |= f.is_error();
                continue;
            }
            shown += 1;
            self.diags.push(d.at(AttrPath::attr("capi_manifests")));
        }
        if hidden > 0 {
            let (summary, detail) = (
                "More capi_manifests findings",
                format!("{hidden} more findings like the ones above are not shown; fix those first."),
            );
            let d =
                if hidden_errors { Diagnostic::error(summary, detail) } else { Diagnostic::warning(summary, detail) };
            self.diags.push(d.at(AttrPath::attr("capi_manifests")));
        }
    }

    /// Checks on partially known configurations (validation with unknowns).
    fn check_partial(&mut self) {
        let c = self.config;
        let role = c.get("role").as_str().and_then(Role::parse);
        if role.is_some_and(|r| r != Role::Init)
            && c.get("cluster").get("control_plane_endpoint").is_null()
            && c.get("cluster").is_known()
            && c.get("capi_manifests").is_null()
        {
            err(
                self.diags,
                AttrPath::attr("cluster").then_attr("control_plane_endpoint"),
                "Missing control_plane_endpoint",
                "Joins need cluster.control_plane_endpoint.".into(),
            );
        }
        if c.get("cluster_ca").is_null() {
            err(
                self.diags,
                AttrPath::attr("cluster_ca"),
                "Missing cluster_ca",
                "Set cluster_ca = kubeadm_cluster_ca.<name>.".into(),
            );
        }
        self.files();
        // Broken Cluster API manifests fail early, whatever else is unknown.
        if c.get("capi_manifests").is_known() && c.get("capi_secrets").is_wholly_known() {
            let capi = self.capi();
            if let Some(m) = capi.as_ref().map(Option::as_ref) {
                self.required(m);
            }
        } else if c.get("capi_manifests").is_null() {
            self.required(None);
        }
        // A missing manifest is a plan error even while other inputs (the CA,
        // the token) are still unknown.
        let version =
            c.get("cluster").get("kubernetes_version").as_str().and_then(|v| KubernetesVersion::parse(v).ok());
        let os =
            c.get("operating_system").as_str().and_then(OperatingSystem::parse).unwrap_or(OperatingSystem::Flatcar);
        if let Some(version) = version {
            if self.fetch_manifest && c.get("kubernetes_artifacts").is_wholly_known() {
                self.artifacts(os, &version);
            }
        }
    }

    fn files(&mut self) -> Vec<FileSpec> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        let mut repeated = BTreeSet::new();
        // Collected apart, so thousands of broken entries give a bounded report.
        let mut found = Diagnostics::new();
        for (i, f) in self.config.get("files").as_elements().unwrap_or_default().iter().enumerate() {
            let at = AttrPath::attr("files").then_index(i);
            let Some(path) = f.get("path").as_str() else { continue };
            if !path.starts_with('/') || path.split('/').any(|s| s == "..") || path.ends_with('/') {
                err(
                    &mut found,
                    at.clone().then_attr("path"),
                    "Invalid file path",
                    format!("{path:?} must be an absolute file path without '..', e.g. \"/etc/foo.conf\"."),
                );
            } else if !seen.insert(path.to_string()) && repeated.insert(path.to_string()) {
                err(
                    &mut found,
                    at.clone().then_attr("path"),
                    "Duplicate file path",
                    format!("{path:?} is listed more than once in files."),
                );
            }
            let mode = f.get("mode").as_str().and_then(parse_mode).unwrap_or(0o644);
            if let Some(owner) = f.get("owner").as_str() {
                if owner.split(':').count() > 2 || owner.is_empty() {
                    err(
                        &mut found,
                        at.clone().then_attr("owner"),
                        "Invalid owner",
                        format!("{owner:?} is not user or user:group."),
                    );
                }
            }
            out.push(FileSpec {
                path: path.to_string(),
                content: Sensitive::new(f.get("content").as_str().unwrap_or_default().to_string()),
                mode,
                owner: f.get("owner").as_str().map(str::to_string),
                replace_generated: false,
            });
        }
        let hidden = found.0.len().saturating_sub(MAX_REPORTED);
        self.diags.0.extend(found.0.into_iter().take(MAX_REPORTED));
        if hidden > 0 {
            err(
                self.diags,
                AttrPath::attr("files"),
                "More problems in files",
                format!("{hidden} more problems like the ones above are not shown; fix those first."),
            );
        }
        out
    }

    fn artifacts(&mut self, os: OperatingSystem, version: &KubernetesVersion) -> Option<Artifacts> {
        let a = self.config.get("kubernetes_artifacts");
        let at = AttrPath::attr("kubernetes_artifacts");
        match a.get("source").as_str().unwrap_or("preinstalled") {
            "manifest" => {
                let Some(url) = a.get("manifest_url").as_str() else {
                    err(
                        self.diags,
                        at.then_attr("manifest_url"),
                        "Missing manifest_url",
                        "source = \"manifest\" needs manifest_url.".into(),
                    );
                    return Some(Artifacts::Preinstalled);
                };
                if !self.fetch_manifest {
                    return Some(Artifacts::Remote(Vec::new()));
                }
                let prefetched = self.prefetched.and_then(|m| m.get(url)).cloned();
                let loaded = match prefetched {
                    Some(bytes) => artifacts::load_with(url, version, |_| bytes),
                    None => artifacts::load(url, version),
                };
                match loaded {
                    Ok(m) => Some(Artifacts::Remote(m.remote_files(url, os))),
                    Err(e) => {
                        err(self.diags, at.then_attr("manifest_url"), "Artifacts manifest unusable", format!("{e}. Publish a manifest for this version (see the provider docs for its format) or fix manifest_url."));
                        None
                    }
                }
            }
            "urls" => {
                let files = a.get("files").as_elements().unwrap_or_default();
                if files.is_empty() {
                    err(
                        self.diags,
                        at.clone().then_attr("files"),
                        "No artifact files",
                        "source = \"urls\" needs at least one files block.".into(),
                    );
                }
                let mut out = Vec::new();
                for (i, f) in files.iter().enumerate() {
                    let fpath = at.clone().then_attr("files").then_index(i);
                    let path = f.get("path").as_str().unwrap_or_default();
                    if !path.starts_with('/') {
                        err(
                            self.diags,
                            fpath.clone().then_attr("path"),
                            "Invalid artifact path",
                            format!("{path:?} must be absolute."),
                        );
                    }
                    let extract_to = f.get("extract_to").as_str().map(str::to_string);
                    out.push(RemoteFile {
                        path: path.to_string(),
                        url: f.get("url").as_str().unwrap_or_default().to_string(),
                        sha512: f.get("sha512").as_str().unwrap_or_default().to_ascii_lowercase(),
                        mode: f.get("mode").as_str().and_then(parse_mode).unwrap_or(if extract_to.is_some() {
                            0o644
                        } else {
                            0o755
                        }),
                        extract_to,
                    });
                }
                Some(Artifacts::Remote(out))
            }
            _ => Some(Artifacts::Preinstalled),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_valid() {
        input_block().check().unwrap();
    }

    #[test]
    fn cidrs_and_overlaps() {
        let a = parse_cidrs("10.96.0.0/12").unwrap()[0];
        let b = parse_cidrs("10.100.0.0/16").unwrap()[0];
        let c = parse_cidrs("192.168.0.0/16").unwrap()[0];
        assert!(overlaps(a, b));
        assert!(!overlaps(a, c));
        assert!(parse_cidrs("10.0.0.0/33").is_none());
        assert!(parse_cidrs("fd00::/108,10.0.0.0/8").is_some());
        assert!(parse_cidrs("nope").is_none());
    }

    #[test]
    fn endpoints() {
        for ok in ["api.example.com", "api.example.com:6443", "10.0.0.1:443", "[fd00::1]:6443"] {
            assert!(valid_endpoint(ok), "{ok}");
        }
        for bad in ["", "api example", "host:0", "host:99999", "http://x"] {
            assert!(!valid_endpoint(bad), "{bad}");
        }
    }
}
