//! Real kubeadm as the judge of every kubeadm config the renderer produces.
//!
//! A matrix of role (init, control-plane, worker) × OS (Flatcar, Fedora
//! CoreOS) × Kubernetes release (1.30, 1.31, 1.33, 1.34, judged by kubeadm
//! 1.30.14, 1.31.14, 1.34.4 and 1.34.4) × option variant:
//!
//! - `golden`: the plain node of the golden cluster;
//! - `everything`: all a user can set that reaches the kubeadm documents
//!   (labels, taints, kubelet and component flags, SANs, feature gates, image
//!   repository, local etcd, DNS domain, subnets, preflight exceptions,
//!   skipped phases, kubeadm verbosity, a token that never expires and a merge
//!   patch on every document the role emits, kube-proxy in IPVS mode);
//! - `dual-stack`: dual-stack subnets, the node named by its hostname, an
//!   endpoint without a port, an empty taint list;
//! - `ipv6` and `ipv6-bracketed-endpoint`: single-stack IPv6 behind a bare
//!   and a bracketed IPv6 endpoint;
//! - `yaml-lookalikes`: strings a YAML 1.1 reader could take for booleans,
//!   numbers, nulls or timestamps in every free-form value;
//! - `external-etcd` (init only): external etcd through a patch.
//!
//! An init node's config also carries the control-plane `JoinConfiguration`
//! its bootstrap script uses when it finds the cluster already running;
//! kubeadm judges the whole file (init and join documents alike) and that
//! document on its own. `certificate_validity` (v1beta4 only) is shown to be
//! read by kubeadm: a value above its default draws kubeadm's own warning.
//!
//! Each config is taken out of the rendered Ignition config (the file the
//! node gets), has its boot-time placeholders filled in and goes through
//! `kubeadm config validate` (`scripts/install-kubernetes.sh` builds the
//! kubeadms). What real kubeadm still refuses is listed in [`KNOWN_REFUSED`],
//! and the test asserts each entry *is* still refused, so the list shrinks as
//! the renderer is fixed.

use crate::ignition_support;
use crate::kubeadm_support;

use std::collections::BTreeMap;
use std::time::Instant;

use ignition_support::{fixture_pki, node_spec};
use terraform_provider_kubeadm::bootstrap::duration::GoDuration;
use terraform_provider_kubeadm::bootstrap::ignition;
use terraform_provider_kubeadm::bootstrap::kubeadm;
use terraform_provider_kubeadm::bootstrap::node::{
    Artifacts, ControlPlanePki, NameFrom, NodeSpec, OperatingSystem, Role, Taint,
};

const OSES: [OperatingSystem; 2] = [OperatingSystem::Flatcar, OperatingSystem::FedoraCoreos];
/// Judged by kubeadm 1.30.14, 1.31.14, 1.34.4 and 1.34.4.
const VERSIONS: [&str; 4] = ["v1.30.14", "v1.31.4", "v1.33.1", "v1.34.4"];

/// One way of setting up the node.
struct Variant {
    name: &'static str,
    /// The roles it applies to (external etcd is the init node's business).
    roles: &'static [Role],
    apply: fn(&mut NodeSpec),
}

const VARIANTS: [Variant; 7] = [
    Variant { name: "golden", roles: &Role::ALL, apply: |_| {} },
    Variant { name: "everything", roles: &Role::ALL, apply: everything },
    Variant { name: "dual-stack", roles: &Role::ALL, apply: dual_stack },
    Variant { name: "ipv6", roles: &Role::ALL, apply: ipv6 },
    Variant { name: "ipv6-bracketed-endpoint", roles: &Role::ALL, apply: ipv6_bracketed_endpoint },
    Variant { name: "yaml-lookalikes", roles: &Role::ALL, apply: yaml_lookalikes },
    Variant { name: "external-etcd", roles: &[Role::Init], apply: external_etcd },
];

/// A config real kubeadm refuses: a renderer defect, kept here (and checked
/// to still be refused, with kubeadm's words) until `src/` is fixed. Remove
/// an entry when the test says kubeadm accepts it now.
struct KnownRefusal {
    variant: &'static str,
    /// `None`: every role the variant applies to.
    role: Option<Role>,
    /// Kubernetes minors it happens on.
    minors: &'static [u32],
    /// A piece of what kubeadm says.
    says: &'static str,
}

const KNOWN_REFUSED: &[KnownRefusal] = &[];

fn known_refusal(variant: &str, role: Role, version: &str) -> Option<&'static KnownRefusal> {
    let minor = kubeadm_support::minor_of(version);
    KNOWN_REFUSED.iter().find(|k| k.variant == variant && k.role.is_none_or(|r| r == role) && k.minors.contains(&minor))
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Everything a user can set that reaches the kubeadm documents.
fn everything(spec: &mut NodeSpec) {
    let v1beta4 = spec.cluster.kubernetes_version.uses_v1beta4();
    let c = &mut spec.cluster;
    c.pod_subnet = Some("10.244.0.0/16".into());
    c.service_subnet = "10.112.0.0/12".into();
    c.dns_domain = "k8s.example.internal".into();
    c.image_repository = Some("registry.example.com/k8s".into());
    c.feature_gates = BTreeMap::from([
        ("RootlessControlPlane".to_string(), true),
        ("WaitForAllControlPlaneComponents".to_string(), true),
    ]);
    c.api_server.extra_args =
        map(&[("audit-log-maxage", "30"), ("profiling", "false"), ("cloud-provider", "external")]);
    c.api_server.cert_sans = strings(&["api.internal", "10.0.0.10", "*.api.example.com"]);
    c.controller_manager.extra_args =
        map(&[("node-cidr-mask-size", "24"), ("profiling", "false"), ("cloud-provider", "external")]);
    c.scheduler.extra_args = map(&[("bind-address", "0.0.0.0"), ("profiling", "false")]);
    c.etcd.data_dir = Some("/var/lib/etcd-data".into());
    c.etcd.extra_args = map(&[("quota-backend-bytes", "8589934592"), ("auto-compaction-retention", "8")]);
    if v1beta4 {
        c.certificate_validity = Some(GoDuration::parse("2160h").unwrap());
    }

    let n = &mut spec.node;
    n.name_from = NameFrom::Aws;
    n.labels = map(&[("node.kubernetes.io/pool", "infra"), ("example.com/tier", "frontend"), ("empty", "")]);
    n.taints = Some(vec![
        Taint { key: "example.com/dedicated".into(), value: Some("infra".into()), effect: "NoSchedule".into() },
        Taint { key: "example.com/spot".into(), value: None, effect: "PreferNoSchedule".into() },
        Taint { key: "example.com/draining".into(), value: Some("yes".into()), effect: "NoExecute".into() },
    ]);
    n.kubelet_extra_args = map(&[("cloud-provider", "external"), ("v", "2"), ("max-open-files", "1000000")]);
    n.ignore_preflight_errors = strings(&["NumCPU", "Mem"]);
    n.skip_phases = match spec.role {
        Role::Init => strings(&["addon/kube-proxy", "show-join-command"]),
        Role::ControlPlane | Role::Worker => strings(&["preflight"]),
    };
    n.kubeadm_verbosity = Some(5);
    spec.bootstrap_token.expires = None;

    let p = &mut spec.patches;
    match spec.role {
        Role::Init => {
            p.cluster_configuration = Some(if v1beta4 {
                "encryptionAlgorithm: ECDSA-P256\n\
                 dns:\n  imageRepository: registry.example.com/coredns\n\
                 apiServer:\n  extraEnvs:\n  - name: GOMAXPROCS\n    value: \"2\"\n"
                    .into()
            } else {
                "apiServer:\n  timeoutForControlPlane: 5m0s\n\
                 dns:\n  imageRepository: registry.example.com/coredns\n"
                    .into()
            });
            p.init_configuration = Some(if v1beta4 {
                "localAPIEndpoint:\n  advertiseAddress: 10.0.1.23\n  bindPort: 6443\n\
                 nodeRegistration:\n  imagePullPolicy: IfNotPresent\n\
                 timeouts:\n  controlPlaneComponentHealthCheck: 5m0s\n"
                    .into()
            } else {
                "localAPIEndpoint:\n  advertiseAddress: 10.0.1.23\n  bindPort: 6443\n\
                 nodeRegistration:\n  imagePullPolicy: IfNotPresent\n"
                    .into()
            });
            p.kubelet_configuration = Some("maxPods: 150\nserverTLSBootstrap: true\n".into());
            p.kube_proxy_configuration = Some("mode: ipvs\nipvs:\n  strictARP: true\n".into());
        }
        Role::ControlPlane | Role::Worker => {
            let control_plane = if spec.role == Role::ControlPlane {
                "controlPlane:\n  localAPIEndpoint:\n    advertiseAddress: 10.0.1.24\n    bindPort: 6443\n"
            } else {
                ""
            };
            let timeout = if v1beta4 { "timeouts:\n  discovery: 5m0s\n" } else { "discovery:\n  timeout: 5m0s\n" };
            p.join_configuration =
                Some(format!("{control_plane}{timeout}nodeRegistration:\n  imagePullPolicy: IfNotPresent\n"));
        }
    }
}

/// Dual-stack networking, the node named by its hostname, an endpoint
/// without a port, no taints at all, kube-proxy in iptables mode.
fn dual_stack(spec: &mut NodeSpec) {
    let c = &mut spec.cluster;
    c.control_plane_endpoint = "api.golden.example.com".into();
    c.pod_subnet = Some("10.244.0.0/16,fd00:10:244::/56".into());
    c.service_subnet = "10.96.0.0/16,fd00:10:96::/112".into();
    c.api_server.cert_sans = strings(&["fd00::10", "10.0.0.10"]);
    c.controller_manager.extra_args = map(&[("node-cidr-mask-size-ipv4", "24"), ("node-cidr-mask-size-ipv6", "64")]);
    spec.node.name_from = NameFrom::Hostname;
    spec.node.taints = Some(Vec::new());
    if spec.role == Role::Init {
        spec.patches.kube_proxy_configuration = Some("mode: iptables\n".into());
        spec.patches.kubelet_configuration = Some("maxPods: 150\n".into());
    }
}

/// IPv6 only, the API behind a bare IPv6 address without a port.
fn ipv6(spec: &mut NodeSpec) {
    let c = &mut spec.cluster;
    c.control_plane_endpoint = "2001:db8::10".into();
    c.pod_subnet = Some("fd00:10:244::/56".into());
    c.service_subnet = "fd00:10:96::/112".into();
    c.api_server.cert_sans = strings(&["2001:db8::10"]);
}

/// IPv6 only, the API behind a bracketed IPv6 address without a port
/// (`endpoint_with_port` accepts it and adds `:6443` for discovery).
fn ipv6_bracketed_endpoint(spec: &mut NodeSpec) {
    ipv6(spec);
    spec.cluster.control_plane_endpoint = "[2001:db8::10]".into();
}

/// Values a YAML 1.1 reader (kubeadm's) could take for something other
/// than a string, in every free-form string the user sets.
const LOOKALIKES: [&str; 36] = [
    "true",
    "false",
    "on",
    "off",
    "yes",
    "no",
    "y",
    "n",
    "Y",
    "NO",
    "~",
    "null",
    "Null",
    "",
    "1e3",
    "0x1F",
    "0o17",
    "010",
    ".5",
    "+1",
    "-1",
    "1_000",
    ".inf",
    "-.Inf",
    ".NaN",
    "12:30",
    "2024-01-01",
    "'q'",
    "\"dq\"",
    "a: b",
    "- x",
    "# c",
    "&a",
    "*a",
    "!t",
    "x,y",
];

fn yaml_lookalikes(spec: &mut NodeSpec) {
    let args: BTreeMap<String, String> =
        LOOKALIKES.iter().enumerate().map(|(i, v)| (format!("flag-{i:02}"), v.to_string())).collect();
    spec.node.kubelet_extra_args = args.clone();
    spec.cluster.api_server.extra_args = args.clone();
    spec.cluster.controller_manager.extra_args = args.clone();
    spec.cluster.scheduler.extra_args = args.clone();
    spec.cluster.etcd.extra_args = args;
    spec.node.labels = map(&[("example.com/a", "true"), ("example.com/b", "null"), ("example.com/c", "1e3")]);
    spec.node.taints = Some(
        ["true", "null", "0x1F", "1e3", "on", "010", "1_000", "NO"]
            .iter()
            .enumerate()
            .map(|(i, v)| Taint {
                key: format!("example.com/t{i}"),
                value: Some(v.to_string()),
                effect: "NoSchedule".into(),
            })
            .collect(),
    );
    spec.bootstrap_token.description = Some("yes".into());
}

/// External etcd, set up with a ClusterConfiguration patch (the node model
/// has only local etcd settings).
fn external_etcd(spec: &mut NodeSpec) {
    spec.patches.cluster_configuration = Some(
        "etcd:\n  external:\n    endpoints:\n    - https://etcd-0.example.com:2379\n    - https://etcd-1.example.com:2379\n\
         \x20   caFile: /etc/kubernetes/pki/etcd/ca.crt\n\
         \x20   certFile: /etc/kubernetes/pki/apiserver-etcd-client.crt\n\
         \x20   keyFile: /etc/kubernetes/pki/apiserver-etcd-client.key\n"
            .into(),
    );
}

fn spec_of(variant: &Variant, role: Role, os: OperatingSystem, version: &str, pki: &ControlPlanePki) -> NodeSpec {
    let mut spec = node_spec(role, os, version, pki, Artifacts::Preinstalled);
    (variant.apply)(&mut spec);
    spec
}

/// The `JoinConfiguration` document of a multi-document config, as written.
fn join_document(yaml: &str) -> Option<String> {
    yaml.split("---\n").find(|d| d.lines().any(|l| l == "kind: JoinConfiguration")).map(str::to_string)
}

/// The kubeadm config the node gets: rendered, then read back out of the
/// Ignition config (which must carry it unchanged).
fn config_of(spec: &NodeSpec, ctx: &str) -> String {
    let yaml = kubeadm::render(spec).unwrap_or_else(|e| panic!("{ctx}: render: {e}"));
    let rendered = ignition::render(spec, &yaml).unwrap_or_else(|e| panic!("{ctx}: ignition: {e}"));
    let shipped = kubeadm_support::kubeadm_yaml_of(&rendered.json);
    assert_eq!(shipped, yaml, "{ctx}: the Ignition config carries another kubeadm config");
    shipped
}

#[test]
fn real_kubeadm_accepts_every_rendered_config() {
    let started = Instant::now();
    let pki = fixture_pki();
    let mut validated = 0usize;
    let mut joins = 0usize;
    let mut refused_as_known = Vec::new();
    let mut expected = 0usize;
    for variant in &VARIANTS {
        for &role in variant.roles {
            for os in OSES {
                for version in VERSIONS {
                    expected += 1;
                    let ctx =
                        format!("variant {}, {} on {}, Kubernetes {version}", variant.name, role.as_str(), os.as_str());
                    let yaml = config_of(&spec_of(variant, role, os, version, &pki), &ctx);
                    match known_refusal(variant.name, role, version) {
                        None => {
                            kubeadm_support::assert_valid(&yaml, version, &ctx);
                            validated += 1;
                            if role == Role::Init {
                                // Every init node here has an endpoint, so a join path.
                                let join =
                                    join_document(&yaml).unwrap_or_else(|| panic!("{ctx}: no JoinConfiguration"));
                                assert!(join.contains("controlPlane:"), "{ctx}: {join}");
                                kubeadm_support::assert_valid(&join, version, &format!("{ctx}, its JoinConfiguration"));
                                joins += 1;
                            }
                        }
                        Some(known) => match kubeadm_support::validate(&yaml, version) {
                            Ok(_) => panic!(
                                "{ctx} is listed in KNOWN_REFUSED but kubeadm accepts it now: remove the entry\n{}",
                                kubeadm_support::redact(&yaml)
                            ),
                            Err(said) => {
                                assert!(
                                    said.contains(known.says),
                                    "{ctx}: kubeadm refuses it, but not with {:?}:\n{said}",
                                    known.says
                                );
                                refused_as_known.push(ctx);
                            }
                        },
                    }
                }
            }
        }
    }
    // The matrix, counted from its dimensions rather than from the loop.
    let matrix: usize = VARIANTS.iter().map(|v| v.roles.len()).sum::<usize>() * OSES.len() * VERSIONS.len();
    let judged = validated + refused_as_known.len();
    assert_eq!(judged, expected);
    assert_eq!(judged, matrix, "kubeadm judged {judged} configs; the matrix has {matrix}");
    // At the very least the golden and the everything node of every role × OS × release.
    let floor = Role::ALL.len() * OSES.len() * VERSIONS.len() * 2;
    assert!(validated >= floor, "only {validated} configs accepted by kubeadm; expected at least {floor}");
    for k in KNOWN_REFUSED {
        assert!(
            refused_as_known.iter().any(|c| c.starts_with(&format!("variant {},", k.variant))),
            "the KNOWN_REFUSED entry for {} matches no config of the matrix",
            k.variant
        );
    }
    let init_configs = VARIANTS.iter().filter(|v| v.roles.contains(&Role::Init)).count() * OSES.len() * VERSIONS.len();
    assert_eq!(joins, init_configs, "every init config's JoinConfiguration is judged on its own too");
    eprintln!(
        "kubeadm judged {judged} configs and {joins} init nodes' join documents alone: {validated} accepted, {} refused as known ({}), in {:.1?}",
        refused_as_known.len(),
        refused_as_known.join("; "),
        started.elapsed()
    );
}

#[test]
fn kubeadm_reads_certificate_validity() {
    let pki = fixture_pki();
    for version in ["v1.31.4", "v1.34.4"] {
        let ctx = format!("certificate_validity on {version}");
        let mut spec = node_spec(Role::Init, OperatingSystem::Flatcar, version, &pki, Artifacts::Preinstalled);
        spec.cluster.certificate_validity = Some(GoDuration::parse("2160h").unwrap());
        let yaml = config_of(&spec, &ctx);
        assert!(yaml.contains("\ncertificateValidityPeriod: 2160h0m0s\n"), "{ctx}: {}", kubeadm_support::redact(&yaml));
        let said = kubeadm_support::validate(&yaml, version).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert!(!said.contains("certificateValidityPeriod"), "{ctx}: {said}");
        // Longer than kubeadm's year: accepted, with kubeadm's own warning,
        // which shows that kubeadm read the field as a duration.
        spec.cluster.certificate_validity = Some(GoDuration::parse("9000h").unwrap());
        let yaml = config_of(&spec, &ctx);
        let said = kubeadm_support::validate(&yaml, version).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert!(
            said.contains("certificateValidityPeriod: the value 9000h0m0s is more than the recommended default"),
            "{ctx}: {said}"
        );
    }
}
