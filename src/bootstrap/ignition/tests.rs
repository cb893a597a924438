//! Unit tests of the Ignition renderer: determinism, what each role and OS
//! gets, modes, secrets on workers, merging and errors.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{json, Value};

use super::*;
use crate::bootstrap::node::{
    ApiServerSpec, Artifacts, CaMaterial, ClusterSpec, ComponentSpec, ControlPlanePki, EtcdSpec, FileSpec,
    KubeadmPatches, KubernetesVersion, NameFrom, NodeOptions, RemoteFile, Role, TokenSpec, UserSpec,
};
use crate::bootstrap::secret::Sensitive;

const OSES: [OperatingSystem; 2] = [OperatingSystem::Flatcar, OperatingSystem::FedoraCoreos];
const YAML: &str = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\n";

fn pem(label: &str, body: &str) -> String {
    format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
}

fn pki() -> ControlPlanePki {
    let ca = |n: &str| CaMaterial {
        cert_pem: pem("CERTIFICATE", &format!("{n}-cert")),
        key_pem: Sensitive::new(pem("PRIVATE KEY", &format!("{n}-key"))),
    };
    ControlPlanePki {
        ca: ca("ca"),
        front_proxy_ca: ca("fp"),
        etcd_ca: ca("etcd"),
        sa_public_pem: pem("PUBLIC KEY", "sa-pub"),
        sa_private_pem: Sensitive::new(pem("PRIVATE KEY", "sa-key")),
    }
}

fn artifacts(os: OperatingSystem) -> Artifacts {
    let bin = binary_dir(os);
    let file = |name: &str, mode: u32, extract_to: Option<&str>| RemoteFile {
        path: if extract_to.is_some() { format!("/opt/kubeadm/artifacts/{name}") } else { format!("{bin}/{name}") },
        url: format!("https://dl.example.com/v1.31.4/{name}"),
        sha512: sha512_hex(name.as_bytes()),
        mode,
        extract_to: extract_to.map(str::to_owned),
    };
    Artifacts::Remote(vec![
        file("kubeadm", 0o755, None),
        file("kubelet", 0o755, None),
        file("kubectl", 0o755, None),
        file("cni-plugins.tgz", 0o644, Some("/opt/cni/bin")),
    ])
}

fn spec(role: Role, os: OperatingSystem) -> NodeSpec {
    NodeSpec {
        role,
        cluster: ClusterSpec {
            name: "prod".into(),
            kubernetes_version: KubernetesVersion::parse("v1.31.4").unwrap(),
            control_plane_endpoint: "api.example.com:6443".into(),
            pod_subnet: Some("192.168.0.0/16".into()),
            service_subnet: "10.96.0.0/12".into(),
            dns_domain: "cluster.local".into(),
            image_repository: None,
            feature_gates: BTreeMap::new(),
            api_server: ApiServerSpec::default(),
            controller_manager: ComponentSpec::default(),
            scheduler: ComponentSpec::default(),
            etcd: EtcdSpec::default(),
            certificate_validity: None,
        },
        // Always filled in, as the provider does: workers must still get none of it.
        pki: Some(pki()),
        ca_cert_hashes: vec![],
        bootstrap_token: TokenSpec {
            token: Sensitive::new("abcdef.0123456789abcdef".into()),
            description: None,
            expires: None,
            usages: vec![],
            groups: vec![],
        },
        node: NodeOptions { name_from: NameFrom::Aws, ..NodeOptions::default() },
        os,
        ignition_version: IgnitionVersion::V3_3,
        artifacts: artifacts(os),
        files: vec![FileSpec {
            path: "/etc/foo.conf".into(),
            content: Sensitive::new("foo=1\n".into()),
            mode: 0o640,
            owner: Some("core:1000".into()),
            replace_generated: false,
        }],
        pre_kubeadm_commands: vec!["echo before".into()],
        post_kubeadm_commands: vec!["echo after".into()],
        users: vec![UserSpec {
            name: "core".into(),
            ssh_authorized_keys: vec!["ssh-ed25519 AAAA core@example".into()],
            groups: vec!["wheel".into()],
            ..UserSpec::default()
        }],
        ntp_servers: vec!["169.254.169.123".into()],
        additional_ignition: vec![],
        patches: KubeadmPatches::default(),
    }
}

fn yaml() -> String {
    format!("{YAML}nodeRegistration:\n  name: {NODE_NAME_PLACEHOLDER}\n")
}

fn rendered(spec: &NodeSpec) -> Value {
    serde_json::from_str(&render(spec, &yaml()).unwrap().json).unwrap()
}

fn files(v: &Value) -> BTreeMap<String, Value> {
    v["storage"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_owned(), f.clone()))
        .collect()
}

fn units(v: &Value) -> BTreeMap<String, Value> {
    v["systemd"]["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["name"].as_str().unwrap().to_owned(), u.clone()))
        .collect()
}

fn contents(v: &Value, path: &str) -> String {
    let f = files(v).remove(path).unwrap_or_else(|| panic!("no file {path}"));
    let src = f["contents"]["source"].as_str().unwrap();
    let b64 = src.strip_prefix("data:;base64,").unwrap_or_else(|| panic!("{path} is not inline: {src}"));
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b64).unwrap()).unwrap()
}

fn mode(v: &Value, path: &str) -> u64 {
    files(v)[path]["mode"].as_u64().unwrap()
}

/// Every inline file's decoded text, joined.
fn all_inline_text(v: &Value) -> String {
    files(v)
        .keys()
        .filter(|p| files(v)[*p]["contents"]["source"].as_str().unwrap().starts_with("data:"))
        .map(|p| contents(v, p))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn same_spec_same_bytes() {
    for os in OSES {
        for role in Role::ALL {
            for version in [IgnitionVersion::V3_3, IgnitionVersion::V3_4] {
                let mut s = spec(role, os);
                s.ignition_version = version;
                let a = render(&s, &yaml()).unwrap();
                let b = render(&s.clone(), &yaml()).unwrap();
                assert_eq!(a, b);
                let v: Value = serde_json::from_str(&a.json).unwrap();
                assert_eq!(v["ignition"]["version"], version.as_str());
                // Files sorted by path, units by name.
                let paths: Vec<_> = files(&v).into_keys().collect();
                let listed: Vec<_> =
                    v["storage"]["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
                assert_eq!(paths, listed);
                assert!(a.warnings.is_empty(), "{:?}", a.warnings);
            }
        }
    }
}

#[test]
fn base_provisioning_on_both_oses() {
    for os in OSES {
        let v = rendered(&spec(Role::Worker, os));
        assert_eq!(
            contents(&v, "/etc/modules-load.d/k8s.conf").lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>(),
            ["overlay", "br_netfilter"]
        );
        let sysctl = contents(&v, "/etc/sysctl.d/90-kubernetes.conf");
        for key in [
            "net.ipv4.ip_forward = 1",
            "net.bridge.bridge-nf-call-iptables = 1",
            "net.bridge.bridge-nf-call-ip6tables = 1",
        ] {
            assert!(sysctl.contains(key), "{sysctl}");
        }
        assert_eq!(contents(&v, "/etc/systemd/zram-generator.conf"), "");
        assert!(contents(&v, "/etc/crictl.yaml").contains("unix:///run/containerd/containerd.sock"));
        assert!(contents(&v, units::BOOTSTRAP_SCRIPT).contains("swapoff -a"));
        let u = units(&v);
        assert_eq!(u["kubelet.service"]["enabled"], true);
        assert_eq!(u[units::BOOTSTRAP_UNIT]["enabled"], true);
        assert_eq!(u[units::HEALTH_TIMER]["enabled"], true);
        assert!(u[units::HEALTH_UNIT].get("enabled").is_none());
        let health = contents(&v, units::HEALTH_SCRIPT);
        assert!(health.contains("http://127.0.0.1:10248/healthz") && health.contains("crictl"), "{health}");
        assert!(health.contains("[ -e /var/lib/kubeadm/bootstrap.done ] || exit 0"), "{health}");
        // Every generated file overwrites what the image may have.
        assert!(files(&v).values().all(|f| f["overwrite"] == true));
    }
}

#[test]
fn flatcar_specifics() {
    let v = rendered(&spec(Role::ControlPlane, OperatingSystem::Flatcar));
    let f = files(&v);
    assert_eq!(contents(&v, "/etc/flatcar/update.conf"), "REBOOT_STRATEGY=off\n");
    assert!(!f.contains_key("/etc/containerd/config.toml"), "Flatcar's own containerd is left alone");
    assert!(!f.keys().any(|p| p.starts_with("/etc/kubeadm/patches/")));
    let u = units(&v);
    assert!(!u.contains_key("containerd.service") && !u.contains_key("docker.service"));
    let kubelet = &u["kubelet.service"];
    assert!(kubelet["contents"].as_str().unwrap().contains("ExecStart=/opt/bin/kubelet\n"));
    let dropins: Vec<_> = kubelet["dropins"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(dropins, ["05-path.conf", "10-kubeadm.conf"]);
    assert!(kubelet["dropins"][0]["contents"].as_str().unwrap().contains("PATH=/opt/bin:"));
    assert!(kubelet["dropins"][1]["contents"]
        .as_str()
        .unwrap()
        .contains("ExecStart=/opt/bin/kubelet $KUBELET_KUBECONFIG_ARGS"));
    let boot = u[units::BOOTSTRAP_UNIT]["contents"].as_str().unwrap();
    assert!(boot.contains("Requires=coreos-metadata.service\nAfter=coreos-metadata.service\n"), "{boot}");
    let script = contents(&v, units::BOOTSTRAP_SCRIPT);
    assert!(script.contains(". /run/metadata/flatcar\n") && script.contains("${COREOS_EC2_HOSTNAME:-}"), "{script}");
    assert!(script.contains("KUBEADM=/opt/bin/kubeadm\n"), "{script}");
    assert!(contents(&v, "/etc/systemd/timesyncd.conf.d/10-kubeadm.conf").contains("[Time]\nNTP=169.254.169.123\n"));
}

#[test]
fn fedora_coreos_specifics() {
    let v = rendered(&spec(Role::Init, OperatingSystem::FedoraCoreos));
    let containerd = contents(&v, "/etc/containerd/config.toml");
    assert!(
        containerd.contains("SystemdCgroup = true") && containerd.contains("enable_selinux = true"),
        "{containerd}"
    );
    assert!(contents(&v, "/etc/zincati/config.d/55-kubeadm.toml").contains("[updates]\nenabled = false\n"));
    let u = units(&v);
    assert_eq!(u["containerd.service"]["enabled"], true);
    assert_eq!(u["docker.service"]["mask"], true);
    assert_eq!(u["docker.socket"]["mask"], true);
    let kubelet = &u["kubelet.service"];
    assert!(kubelet["contents"].as_str().unwrap().contains("ExecStart=/usr/local/bin/kubelet\n"));
    assert_eq!(kubelet["dropins"].as_array().unwrap().len(), 1, "no PATH drop-in needed");
    for pod in ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"] {
        let patch = contents(&v, &format!("/etc/kubeadm/patches/{pod}.yaml"));
        let parsed: serde_yaml_ng::Value = serde_yaml_ng::from_str(&patch).unwrap();
        assert_eq!(parsed["spec"]["securityContext"]["seLinuxOptions"]["type"].as_str(), Some("spc_t"));
    }
    let boot = u[units::BOOTSTRAP_UNIT]["contents"].as_str().unwrap();
    assert!(boot.contains("Requires=afterburn.service\nAfter=afterburn.service\n"), "{boot}");
    let script = contents(&v, units::BOOTSTRAP_SCRIPT);
    for var in ["AFTERBURN_AWS_HOSTNAME", "AFTERBURN_AWS_INSTANCE_ID", "AFTERBURN_AWS_AVAILABILITY_ZONE"] {
        assert!(script.contains(var), "{script}");
    }
    assert!(script.contains(". /run/metadata/afterburn\n"));
    let chrony = contents(&v, "/etc/chrony.conf");
    assert!(chrony.contains("server 169.254.169.123 iburst\n"), "{chrony}");
    // Workers get no SELinux patches (kubeadm only patches static pods).
    let w = rendered(&spec(Role::Worker, OperatingSystem::FedoraCoreos));
    assert!(!files(&w).keys().any(|p| p.starts_with("/etc/kubeadm/patches/")));
}

#[test]
fn control_planes_get_pki_with_modes_and_workers_no_private_key() {
    for os in OSES {
        for role in [Role::Init, Role::ControlPlane] {
            let v = rendered(&spec(role, os));
            let p = pki();
            for (path, text, m) in [
                ("ca.crt", p.ca.cert_pem.clone(), 0o644),
                ("ca.key", p.ca.key_pem.expose().clone(), 0o600),
                ("front-proxy-ca.crt", p.front_proxy_ca.cert_pem.clone(), 0o644),
                ("front-proxy-ca.key", p.front_proxy_ca.key_pem.expose().clone(), 0o600),
                ("etcd/ca.crt", p.etcd_ca.cert_pem.clone(), 0o644),
                ("etcd/ca.key", p.etcd_ca.key_pem.expose().clone(), 0o600),
                ("sa.pub", p.sa_public_pem.clone(), 0o644),
                ("sa.key", p.sa_private_pem.expose().clone(), 0o600),
            ] {
                let full = format!("/etc/kubernetes/pki/{path}");
                assert_eq!(contents(&v, &full), text);
                assert_eq!(mode(&v, &full), m);
                assert!(files(&v)[&full].get("user").is_none(), "owned by root by default");
            }
            let script = contents(&v, units::BOOTSTRAP_SCRIPT);
            assert!(script.contains("PKI_SEED"), "control planes keep their CAs across kubeadm reset");
        }
        let v = rendered(&spec(Role::Worker, os));
        assert!(!files(&v).keys().any(|p| p.starts_with("/etc/kubernetes/pki")));
        let text = all_inline_text(&v);
        assert!(!text.contains("PRIVATE KEY"), "worker config carries a private key");
        assert!(!text.contains("-cert"), "worker config carries CA certificates");
        assert!(!render(&spec(Role::Worker, os), &yaml()).unwrap().json.contains("PRIVATE KEY"));
    }
}

#[test]
fn modes_of_generated_and_user_files() {
    let v = rendered(&spec(Role::Worker, OperatingSystem::Flatcar));
    assert_eq!(mode(&v, "/etc/kubeadm/config.yaml"), 0o600);
    assert_eq!(mode(&v, units::BOOTSTRAP_SCRIPT), 0o700);
    assert_eq!(mode(&v, units::HEALTH_SCRIPT), 0o700);
    assert_eq!(mode(&v, "/opt/bin/kubelet"), 0o755);
    assert_eq!(mode(&v, "/opt/kubeadm/artifacts/cni-plugins.tgz"), 0o644);
    assert_eq!(mode(&v, "/etc/foo.conf"), 0o640);
    let foo = &files(&v)["/etc/foo.conf"];
    assert_eq!(foo["user"], json!({"name": "core"}));
    assert_eq!(foo["group"], json!({"id": 1000}));
    assert_eq!(contents(&v, "/etc/foo.conf"), "foo=1\n");
    assert_eq!(contents(&v, "/etc/kubeadm/config.yaml"), yaml());
}

#[test]
fn artifacts_are_fetched_with_hashes_and_archives_unpacked() {
    let v = rendered(&spec(Role::Worker, OperatingSystem::FedoraCoreos));
    let kubeadm = &files(&v)["/usr/local/bin/kubeadm"];
    assert_eq!(kubeadm["contents"]["source"], "https://dl.example.com/v1.31.4/kubeadm");
    assert_eq!(kubeadm["contents"]["verification"]["hash"], format!("sha512-{}", sha512_hex(b"kubeadm")));
    let u = units(&v);
    let unpack = u[units::ARTIFACTS_UNIT]["contents"].as_str().unwrap();
    assert!(
        unpack.contains(
            "ExecStart=/usr/bin/tar --no-same-owner -C /opt/cni/bin -xzf /opt/kubeadm/artifacts/cni-plugins.tgz\n"
        ),
        "{unpack}"
    );
    assert_eq!(u[units::ARTIFACTS_UNIT]["enabled"], true);
    let boot = u[units::BOOTSTRAP_UNIT]["contents"].as_str().unwrap();
    assert!(boot.contains("After=kubeadm-artifacts.service"), "{boot}");
    assert_eq!(contents(&v, "/etc/sysconfig/kubelet"), "KUBELET_EXTRA_ARGS=\n");
    assert!(contents(&v, units::BOOTSTRAP_SCRIPT).contains("KUBEADM=/usr/local/bin/kubeadm\n"));

    // Preinstalled: no kubelet units, but kubelet enabled; kubeadm from PATH.
    let mut s = spec(Role::Worker, OperatingSystem::FedoraCoreos);
    s.artifacts = Artifacts::Preinstalled;
    let v = rendered(&s);
    assert_eq!(units(&v)["kubelet.service"], json!({"name": "kubelet.service", "enabled": true}));
    assert!(!units(&v).contains_key(units::ARTIFACTS_UNIT));
    assert!(!files(&v).contains_key("/etc/sysconfig/kubelet"));
    assert!(contents(&v, units::BOOTSTRAP_SCRIPT).contains("KUBEADM=kubeadm\n"));
    assert!(!units(&v)[units::BOOTSTRAP_UNIT]["contents"].as_str().unwrap().contains("kubeadm-artifacts"));

    // Remote without a kubelet: a warning, and the unit runs the OS's path.
    let mut s = spec(Role::Worker, OperatingSystem::Flatcar);
    s.artifacts = Artifacts::Remote(vec![]);
    let r = render(&s, &yaml()).unwrap();
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(r.warnings[0].contains("/opt/bin/kubelet"));
}

#[test]
fn bootstrap_script_per_role() {
    for os in OSES {
        for role in Role::ALL {
            let v = rendered(&spec(role, os));
            let script = contents(&v, units::BOOTSTRAP_SCRIPT);
            assert!(script.starts_with("#!/bin/bash\n") && script.contains("\nset -euo pipefail\n"));
            // The init node decides at boot between founding the cluster and joining it.
            let (verb, config) = if role == Role::Init { ("\"$verb\"", "$config") } else { ("join", "$CONFIG") };
            assert!(script.contains(&format!("\"$KUBEADM\" {verb} --config \"{config}\"")), "{script}");
            assert!(script.contains("CONFIG=/etc/kubeadm/config.yaml"));
            assert!(script.contains("tries=30\n"), "{script}");
            assert_eq!(script.contains("tries=3\n"), role == Role::Init, "{script}");
            assert_eq!(script.contains("ENDPOINT=api.example.com:6443\n"), role == Role::Init, "{script}");
            assert_eq!(script.contains("curl "), role == Role::Init, "{script}");
            assert!(script.contains("\"$KUBEADM\" reset -f"));
            assert!(!script.contains("--ignore-preflight-errors") && !script.contains("--skip-phases"));
            let pre = script.find("echo before").unwrap();
            let run = script.find(&format!("\"$KUBEADM\" {verb} --config")).unwrap();
            let post = script.find("echo after").unwrap();
            let done = script.find("touch \"$DONE\"").unwrap();
            assert!(pre < run && run < post && post < done, "{script}");
            assert!(script.contains(&format!("s|{NODE_NAME_PLACEHOLDER}|${{node_name}}|g")));
            assert!(script.contains(&format!("s|{PROVIDER_ID_PLACEHOLDER}|aws:///${{zone}}/${{instance_id}}|g")));
            let out = std::process::Command::new("bash").arg("-n").arg("-c").arg(&script).output().unwrap();
            assert!(out.status.success(), "bash -n: {}", String::from_utf8_lossy(&out.stderr));
            let health = contents(&v, units::HEALTH_SCRIPT);
            let out = std::process::Command::new("bash").arg("-n").arg("-c").arg(&health).output().unwrap();
            assert!(out.status.success(), "bash -n: {}", String::from_utf8_lossy(&out.stderr));

            let unit = units(&v)[units::BOOTSTRAP_UNIT]["contents"].as_str().unwrap().to_owned();
            for line in [
                "Type=oneshot",
                "RemainAfterExit=yes",
                "Wants=network-online.target",
                "After=network-online.target",
                "Requires=containerd.service",
                "After=containerd.service",
                "ConditionPathExists=!/var/lib/kubeadm/bootstrap.done",
                "StandardOutput=journal",
                "WantedBy=multi-user.target",
                "ExecStart=/bin/bash /opt/kubeadm/bootstrap.sh",
            ] {
                assert!(unit.lines().any(|l| l == line), "{line} missing from\n{unit}");
            }
        }
    }
    // Hostname-named nodes read no metadata.
    let mut s = spec(Role::Worker, OperatingSystem::Flatcar);
    s.node.name_from = NameFrom::Hostname;
    let v: Value = serde_json::from_str(&render(&s, YAML).unwrap().json).unwrap();
    assert!(!contents(&v, units::BOOTSTRAP_SCRIPT).contains("/run/metadata"));
    assert!(!units(&v)[units::BOOTSTRAP_UNIT]["contents"].as_str().unwrap().contains("coreos-metadata"));
}

#[test]
fn users_and_ntp() {
    let v = rendered(&spec(Role::Worker, OperatingSystem::Flatcar));
    assert_eq!(
        v["passwd"]["users"],
        json!([{"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 AAAA core@example"], "groups": ["wheel"]}])
    );
    let mut s = spec(Role::Worker, OperatingSystem::Flatcar);
    s.users.clear();
    s.ntp_servers.clear();
    let v = rendered(&s);
    assert!(v.get("passwd").is_none());
    assert!(!files(&v).contains_key("/etc/systemd/timesyncd.conf.d/10-kubeadm.conf"));
}

#[test]
fn account_details_and_kubeadm_verbosity() {
    let mut s = spec(Role::Worker, OperatingSystem::Flatcar);
    s.users[0].gecos = Some("Core User".into());
    s.users[0].home_dir = Some("/var/home/core".into());
    s.users[0].shell = Some("/bin/zsh".into());
    s.users[0].primary_group = Some("core".into());
    s.users[0].password_hash = Some(Sensitive::new("$6$salt$hash".into()));
    s.node.kubeadm_verbosity = Some(5);
    let v = rendered(&s);
    let user = &v["passwd"]["users"][0];
    assert_eq!(user["gecos"], "Core User");
    assert_eq!(user["homeDir"], "/var/home/core");
    assert_eq!(user["shell"], "/bin/zsh");
    assert_eq!(user["primaryGroup"], "core");
    assert_eq!(user["passwordHash"], "$6$salt$hash");
    assert!(contents(&v, "/opt/kubeadm/bootstrap.sh").contains("join --config \"$CONFIG\" --v=5; then"));
    s.users[0].shell = Some("zsh".into());
    assert!(render(&s, &yaml()).is_err(), "a relative shell is refused");
}

#[test]
fn manifest_files_may_replace_generated_ones() {
    let mut s = spec(Role::Worker, OperatingSystem::Flatcar);
    s.files.push(FileSpec {
        path: "/etc/sysctl.d/90-kubernetes.conf".into(),
        content: Sensitive::new("net.ipv4.ip_forward = 1\n".into()),
        mode: 0o644,
        owner: None,
        replace_generated: false,
    });
    assert!(render(&s, &yaml()).is_err(), "HCL files never replace generated ones");
    s.files.last_mut().unwrap().replace_generated = true;
    let r = render(&s, &yaml()).unwrap();
    assert!(r.warnings.iter().any(|w| w.contains("replaces the file the provider generates")), "{:?}", r.warnings);
    let v: Value = serde_json::from_str(&r.json).unwrap();
    assert_eq!(contents(&v, "/etc/sysctl.d/90-kubernetes.conf"), "net.ipv4.ip_forward = 1\n");
}

#[test]
fn additional_ignition_is_merged_with_warnings() {
    let mut s = spec(Role::Worker, OperatingSystem::Flatcar);
    s.additional_ignition = vec![
        json!({"ignition": {"version": "3.0.0"},
            "storage": {
                "files": [
                    {"path": "/etc/crictl.yaml", "contents": {"source": "data:,timeout%3A%2030%0A"}},
                    {"path": "/etc/extra.conf", "mode": 420, "contents": {"source": "data:,x"}}
                ],
                "links": [{"path": "/etc/flatcar/update.conf", "target": "/dev/null"}]
            },
            "systemd": {"units": [
                {"name": "kubelet.service", "dropins": [{"name": "10-kubeadm.conf", "contents": "[Service]\n"}, {"name": "20-x.conf", "contents": "[Service]\n"}]},
                {"name": "extra.service", "enabled": true, "contents": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"}
            ]},
            "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 BBBB other"]}]}
        })
        .to_string(),
        json!({"ignition": {"version": "3.3.0"}, "storage": {"files": [{"path": "/etc/extra.conf", "mode": 384}]}}).to_string(),
    ];
    let r = render(&s, &yaml()).unwrap();
    let v: Value = serde_json::from_str(&r.json).unwrap();
    assert_eq!(v["ignition"]["version"], "3.3.0");
    let f = files(&v);
    assert_eq!(f["/etc/crictl.yaml"]["contents"]["source"], "data:,timeout%3A%2030%0A");
    assert_eq!(f["/etc/crictl.yaml"]["mode"], 420, "fields the child leaves out stay");
    assert_eq!(f["/etc/extra.conf"]["mode"], 384, "a later config changes an earlier one");
    assert!(!f.contains_key("/etc/flatcar/update.conf"), "the link replaced the file");
    assert_eq!(v["storage"]["links"], json!([{"path": "/etc/flatcar/update.conf", "target": "/dev/null"}]));
    let u = units(&v);
    let kubelet_dropins: Vec<_> =
        u["kubelet.service"]["dropins"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(kubelet_dropins, ["05-path.conf", "10-kubeadm.conf", "20-x.conf"]);
    assert_eq!(u["kubelet.service"]["dropins"][1]["contents"], "[Service]\n");
    assert_eq!(u["extra.service"]["enabled"], true);
    assert_eq!(
        v["passwd"]["users"][0]["sshAuthorizedKeys"],
        json!(["ssh-ed25519 AAAA core@example", "ssh-ed25519 BBBB other"])
    );
    assert_eq!(
        r.warnings,
        [
            "additional_ignition[0] changes the generated file /etc/crictl.yaml: the fields it sets replace the rendered ones",
            "additional_ignition[0] replaces the generated file /etc/flatcar/update.conf with a link",
            "additional_ignition[0] changes the generated drop-in 10-kubeadm.conf of kubelet.service",
            "additional_ignition[0] changes the account core from users: its fields are merged in",
        ]
    );
}

#[test]
fn additional_ignition_errors() {
    let err = |extra: Value| {
        let mut s = spec(Role::Worker, OperatingSystem::Flatcar);
        s.additional_ignition = vec![json!({"ignition": {"version": "3.3.0"}}).to_string(), extra.to_string()];
        render(&s, &yaml()).unwrap_err()
    };
    assert!(matches!(err(json!([1])), IgnitionError::AdditionalNotJson { index: 1, .. }));
    assert!(matches!(err(json!({"storage": {}})), IgnitionError::AdditionalVersion { index: 1, .. }));
    let e = err(json!({"ignition": {"version": "3.4.0"}}));
    assert!(matches!(e, IgnitionError::AdditionalVersion { index: 1, max: "3.3.0", .. }), "{e}");
    for v in ["2.3.0", "3.4.0-experimental", "3.3", "3.03.0"] {
        assert!(matches!(err(json!({"ignition": {"version": v}})), IgnitionError::AdditionalVersion { .. }), "{v}");
    }
    let e = err(json!({"ignition": {"version": "3.3.0"}, "storage": {"files": [{"path": "/x", "mode": true}]}}));
    assert_eq!(e.to_string(), "additional_ignition[1] at $.storage.files[0].mode: must be an integer");
    let e = err(json!({"ignition": {"version": "3.3.0", "config": {"replace": {"source": "https://x"}}}}));
    assert!(matches!(e, IgnitionError::AdditionalField { index: 1, .. }), "{e}");

    let mut s = spec(Role::Worker, OperatingSystem::Flatcar);
    s.additional_ignition = vec!["{not json".into()];
    let e = render(&s, &yaml()).unwrap_err();
    assert!(matches!(e, IgnitionError::AdditionalNotJson { index: 0, .. }), "{e}");

    // A 3.4 render accepts 3.4 configs.
    let mut s = spec(Role::Worker, OperatingSystem::Flatcar);
    s.ignition_version = IgnitionVersion::V3_4;
    s.additional_ignition = vec![json!({"ignition": {"version": "3.4.0"}}).to_string()];
    assert!(render(&s, &yaml()).is_ok());
}

#[test]
fn merge_references_warn() {
    let mut s = spec(Role::Worker, OperatingSystem::Flatcar);
    s.additional_ignition =
        vec![json!({"ignition": {"version": "3.3.0", "config": {"merge": [{"source": "https://x/extra.ign"}]}}})
            .to_string()];
    let r = render(&s, &yaml()).unwrap();
    assert_eq!(r.warnings.len(), 1);
    assert!(r.warnings[0].contains("ignition.config.merge"));
    let v: Value = serde_json::from_str(&r.json).unwrap();
    assert_eq!(v["ignition"]["config"]["merge"][0]["source"], "https://x/extra.ign");
}

#[test]
fn input_errors() {
    let base = || spec(Role::Worker, OperatingSystem::Flatcar);
    let err = |s: NodeSpec| render(&s, &yaml()).unwrap_err();

    let mut s = base();
    s.files[0].path = "/etc/kubeadm/config.yaml".into();
    let e = err(s);
    assert!(
        matches!(&e, IgnitionError::DuplicatePath { path, second, .. } if path == "/etc/kubeadm/config.yaml" && second == "files[0]"),
        "{e}"
    );

    let mut s = base();
    s.files.push(s.files[0].clone());
    assert!(matches!(err(s), IgnitionError::DuplicatePath { .. }));

    for (path, problem) in [
        ("etc/x", "absolute"),
        ("/etc/x/", "trailing"),
        ("/etc//x", "components"),
        ("/etc/../x", "components"),
        ("/", "trailing"),
    ] {
        let mut s = base();
        s.files[0].path = path.into();
        let e = err(s);
        assert!(matches!(e, IgnitionError::BadPath { .. }) && e.to_string().contains(problem), "{path}: {e}");
    }

    let mut s = base();
    s.files[0].path = "/etc/crictl.yaml/x".into();
    let e = err(s);
    assert!(matches!(e, IgnitionError::PathUnderFile { .. }), "{e}");

    let mut s = base();
    s.files[0].path = "/usr/local/bin/tool".into();
    assert!(matches!(err(s), IgnitionError::ReadOnlyPath { os: "flatcar", .. }));
    let mut s = spec(Role::Worker, OperatingSystem::FedoraCoreos);
    s.files[0].path = "/usr/local/bin/tool".into();
    assert!(render(&s, &yaml()).is_ok());
    s.files[0].path = "/usr/bin/tool".into();
    assert!(matches!(err(s), IgnitionError::ReadOnlyPath { os: "fedora-coreos", .. }));

    let mut s = base();
    s.files[0].mode = 0o4755;
    assert!(matches!(err(s.clone()), IgnitionError::BadMode { max: 0o777, .. }));
    s.ignition_version = IgnitionVersion::V3_4;
    assert!(render(&s, &yaml()).is_ok(), "3.4 allows setuid");
    s.files[0].mode = 0o17777;
    assert!(matches!(err(s), IgnitionError::BadMode { max: 0o7777, .. }));

    for owner in ["", ":", "a:", "a b", "a:b:c"] {
        let mut s = base();
        s.files[0].owner = Some(owner.into());
        assert!(matches!(err(s), IgnitionError::BadOwner { index: 0, .. }), "{owner:?}");
    }

    let remote = |f: &dyn Fn(&mut RemoteFile)| {
        let mut s = base();
        if let Artifacts::Remote(files) = &mut s.artifacts {
            f(&mut files[0]);
        }
        s
    };
    assert!(matches!(err(remote(&|f| f.sha512 = "abc".into())), IgnitionError::BadArtifact { .. }));
    assert!(matches!(err(remote(&|f| f.url = "ftp://x/y".into())), IgnitionError::BadArtifact { .. }));
    let e = err(remote(&|f| f.url = "arn:aws:s3:::bucket/kubeadm".into()));
    assert!(e.to_string().contains("3.4.0"), "{e}");
    assert!(matches!(err(remote(&|f| f.path = "/usr/bin/kubeadm".into())), IgnitionError::ReadOnlyPath { .. }));
    let e = err(remote(&|f| f.extract_to = Some("/opt/cni/my bin".into())));
    assert!(matches!(e, IgnitionError::BadArtifact { .. }), "{e}");

    let mut s = base();
    s.role = Role::ControlPlane;
    s.pki = None;
    assert!(matches!(err(s), IgnitionError::MissingPki { role: "control-plane" }));

    let mut s = base();
    s.users.push(s.users[0].clone());
    assert!(matches!(err(s), IgnitionError::BadUser { index: 1, .. }));
    let mut s = base();
    s.users[0].ssh_authorized_keys = vec!["a\nb".into()];
    assert!(matches!(err(s), IgnitionError::BadUser { index: 0, .. }));

    let mut s = base();
    s.ntp_servers = vec!["a b".into()];
    assert!(matches!(err(s), IgnitionError::BadNtpServer { .. }));

    assert_eq!(render(&base(), " \n").unwrap_err(), IgnitionError::EmptyKubeadmConfig);
    let mut s = base();
    s.node.name_from = NameFrom::Hostname;
    assert!(matches!(render(&s, &yaml()).unwrap_err(), IgnitionError::UnfilledPlaceholder { .. }));
    let r = render(&base(), YAML).unwrap();
    assert!(r.warnings.iter().any(|w| w.contains(NODE_NAME_PLACEHOLDER)), "{:?}", r.warnings);
}

#[test]
fn errors_do_not_repeat_contents() {
    let mut s = spec(Role::Worker, OperatingSystem::Flatcar);
    s.files[0].content = Sensitive::new("TOPSECRET".into());
    s.files.push(s.files[0].clone());
    let e = render(&s, &yaml()).unwrap_err();
    assert!(!format!("{e} {e:?}").contains("TOPSECRET"));
}

#[test]
fn pointer_config_replaces_with_hash_and_time_limit() {
    let p = pointer_config(IgnitionVersion::V3_3, "s3://b/k", &sha512_hex(b"x"));
    let v: Value = serde_json::from_str(&p).unwrap();
    assert_eq!(v["ignition"]["version"], "3.3.0");
    assert_eq!(v["ignition"]["config"]["replace"]["source"], "s3://b/k");
    assert_eq!(v["ignition"]["config"]["replace"]["verification"]["hash"], format!("sha512-{}", sha512_hex(b"x")));
    assert_eq!(v["ignition"]["timeouts"]["httpTotal"], 600);
    assert_eq!(v.as_object().unwrap().len(), 1, "{p}");
    let p4 = pointer_config(IgnitionVersion::V3_4, "https://x/y?z=\"", "00");
    assert!(p4.contains("\"3.4.0\"") && p4.contains("z=\\\""), "{p4}");
}

#[test]
fn sha512_of_empty_input() {
    assert_eq!(
        sha512_hex(b""),
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce\
         47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
    );
}

#[test]
fn binary_dirs() {
    assert_eq!(binary_dir(OperatingSystem::Flatcar), "/opt/bin");
    assert_eq!(binary_dir(OperatingSystem::FedoraCoreos), "/usr/local/bin");
}

/// Runs the rendered bootstrap script with its paths moved into a scratch
/// directory, a fake kubeadm that fails until try `succeed_on`, and stubs for
/// the commands that would touch the host. Returns the directory, the exit
/// status and the fake kubeadm's log.
fn run_bootstrap(role: Role, succeed_on: u32, post: &str, runs: usize) -> (tempfile::TempDir, Vec<bool>, String) {
    run_bootstrap_with(role, succeed_on, post, runs, None)
}

/// As `run_bootstrap`, with the bootstrap token expiring at `expires`.
fn run_bootstrap_with(
    role: Role,
    succeed_on: u32,
    post: &str,
    runs: usize,
    expires: Option<String>,
) -> (tempfile::TempDir, Vec<bool>, String) {
    let mut s = spec(role, OperatingSystem::Flatcar);
    s.post_kubeadm_commands = vec![post.to_owned()];
    s.bootstrap_token.expires = expires;
    let run = run_script(&s, succeed_on, runs, Cluster::Absent);
    (run.dir, run.ok, run.log)
}

/// What the fake curl finds at the control-plane endpoint.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cluster {
    /// An API server with a certificate from the shipped CA (HTTP 403).
    Running,
    /// Nothing listening: the connection is refused.
    Absent,
}

/// One or more boots of a rendered bootstrap script.
struct ScriptRun {
    dir: tempfile::TempDir,
    /// Whether each run exited 0.
    ok: Vec<bool>,
    /// What the fake kubeadm, curl and sleep recorded.
    log: String,
    /// What the script printed, all runs.
    stdout: String,
}

impl ScriptRun {
    /// Asserts that the script printed `text`.
    #[track_caller]
    fn printed(&self, text: &str) {
        assert!(self.stdout.contains(text), "{text:?} is not in what the script printed:\n{}", self.stdout);
    }
}

/// Runs the bootstrap script rendered for `s` with its paths moved into a
/// scratch directory, a fake kubeadm that fails until try `succeed_on`, a
/// fake curl that answers as `cluster` says, and stubs for the commands
/// that would touch the host.
fn run_script(s: &NodeSpec, succeed_on: u32, runs: usize, cluster: Cluster) -> ScriptRun {
    let seeds_ttl = s.role == Role::Init && s.bootstrap_token.expires.is_some();
    let v = rendered(s);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap().to_owned();
    let stubs = format!("{root}/stubs");
    std::fs::create_dir_all(&stubs).unwrap();
    let write = |path: String, text: &str| {
        std::fs::create_dir_all(std::path::Path::new(&path).parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
    };
    for tool in ["swapoff", "modprobe", "sysctl"] {
        write(format!("{stubs}/{tool}"), "#!/bin/bash\nexit 0\n");
    }
    write(format!("{stubs}/sleep"), "#!/bin/bash\necho \"sleep $1\" >>\"$LOG\"\n");
    write(
        format!("{stubs}/curl"),
        "#!/bin/bash\n\
         ca=\n\
         while [ $# -gt 1 ]; do case \"$1\" in --cacert) ca=$2; shift ;; esac; shift; done\n\
         echo \"curl $1 --cacert $ca\" >>\"$LOG\"\n\
         if [ \"$CLUSTER\" = running ] && [ -s \"$ca\" ]; then printf 403; exit 0; fi\n\
         echo \"curl: (7) Failed to connect to api.example.com port 6443: Connection refused\" >&2\n\
         printf 000\n\
         exit 7\n",
    );
    write(
        format!("{stubs}/kubeadm"),
        "#!/bin/bash\n\
         pki=\"$ROOT/etc/kubernetes/pki\"\n\
         case \"$1\" in\n\
         reset) echo reset >>\"$LOG\"; rm -rf \"$pki\"; mkdir -p \"$pki\" ;;\n\
         *) n=$(( $(cat \"$ROOT/count\" 2>/dev/null || echo 0) + 1 )); echo \"$n\" >\"$ROOT/count\"\n\
         \x20  echo \"$1 $2 $3 pki:$(ls \"$pki\" 2>/dev/null | tr '\\n' ' ')\" >>\"$LOG\"\n\
         \x20  case \"$3\" in *kubeadm-init.yaml) grep -h 'ttl:' \"$3\" >>\"$LOG\" ;; esac\n\
         \x20  echo leaf >\"$pki/apiserver.crt\" 2>/dev/null\n\
         \x20  [ \"$n\" -ge \"$SUCCEED_ON\" ] ;;\n\
         esac\n",
    );
    for tool in ["swapoff", "modprobe", "sysctl", "sleep", "kubeadm", "curl"] {
        let p = format!("{stubs}/{tool}");
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    write(
        format!("{root}/run/metadata/flatcar"),
        "COREOS_EC2_HOSTNAME=ip-10-0-0-7.ec2.internal\nCOREOS_EC2_INSTANCE_ID=i-0abc\nCOREOS_EC2_AVAILABILITY_ZONE=eu-west-1a\n",
    );
    for (path, _) in files(&v) {
        if path.starts_with("/etc/kubernetes/pki/") || path == "/etc/kubeadm/config.yaml" {
            write(format!("{root}{path}"), &contents(&v, &path));
        }
    }
    if seeds_ttl {
        // What the kubeadm renderer seeds on an init node with an expiring token.
        write(format!("{root}{CONFIG_PATH}"), &format!("{YAML}bootstrapTokens:\n- ttl: {TOKEN_TTL_PLACEHOLDER}\n"));
    }
    let script = contents(&v, units::BOOTSTRAP_SCRIPT)
        .replace("export PATH=", &format!("export PATH={stubs}:"))
        .replace("KUBEADM=/opt/bin/kubeadm", &format!("KUBEADM={stubs}/kubeadm"))
        .replace("/etc/kubeadm/", &format!("{root}/etc/kubeadm/"))
        .replace("/var/lib/kubeadm", &format!("{root}/var/lib/kubeadm"))
        .replace("/etc/kubernetes/pki", &format!("{root}/etc/kubernetes/pki"))
        .replace("/run/metadata/flatcar", &format!("{root}/run/metadata/flatcar"));
    write(format!("{root}/bootstrap.sh"), &script);
    let log = format!("{root}/log");
    let mut stdout = String::new();
    let ok = (0..runs)
        .map(|_| {
            let out = std::process::Command::new("bash")
                .arg(format!("{root}/bootstrap.sh"))
                .env("ROOT", &root)
                .env("LOG", &log)
                .env("SUCCEED_ON", succeed_on.to_string())
                .env("CLUSTER", if cluster == Cluster::Running { "running" } else { "absent" })
                .output()
                .unwrap();
            stdout.push_str(&String::from_utf8_lossy(&out.stdout));
            out.status.success()
        })
        .collect();
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    ScriptRun { dir, ok, log, stdout }
}

#[test]
fn bootstrap_script_retries_resets_and_keeps_the_cas() {
    let (dir, ok, log) = run_bootstrap(Role::ControlPlane, 3, "echo after", 1);
    assert_eq!(ok, [true], "{log}");
    let cas = "ca.crt ca.key etcd front-proxy-ca.crt front-proxy-ca.key sa.key sa.pub ";
    let config = format!("{}/etc/kubeadm/config.yaml", dir.path().display());
    assert_eq!(
        log,
        format!(
            "join --config {config} pki:{cas}\nreset\nsleep 10\n\
             join --config {config} pki:{cas}\nreset\nsleep 20\n\
             join --config {config} pki:{cas}\n"
        )
    );
    let root = dir.path();
    let yaml = std::fs::read_to_string(root.join("etc/kubeadm/config.yaml")).unwrap();
    assert!(yaml.contains("name: ip-10-0-0-7.ec2.internal"), "{yaml}");
    assert!(!yaml.contains(NODE_NAME_PLACEHOLDER));
    assert!(root.join("var/lib/kubeadm/bootstrap.done").exists());
    assert!(!root.join("var/lib/kubeadm/pki-seed").exists(), "the spare CA copy is removed");
    assert_eq!(
        std::fs::read_to_string(root.join("etc/kubernetes/pki/ca.key")).unwrap(),
        pki().ca.key_pem.expose().clone()
    );
}

#[test]
fn bootstrap_script_repeats_only_the_post_commands() {
    // The post command fails on the first run only.
    let post = "if [ ! -e \"$ROOT/post-ran\" ]; then touch \"$ROOT/post-ran\"; exit 1; fi";
    let (dir, ok, log) = run_bootstrap(Role::Worker, 1, post, 2);
    assert_eq!(ok, [false, true], "{log}");
    assert_eq!(log.matches("join --config").count(), 1, "{log}");
    assert!(!log.contains("reset"), "{log}");
    assert!(dir.path().join("var/lib/kubeadm/bootstrap.done").exists());
}

#[test]
fn bootstrap_script_gives_up_and_backs_off() {
    let (_dir, ok, log) = run_bootstrap(Role::Init, 99, "echo after", 1);
    assert_eq!(ok, [false]);
    assert_eq!(log.matches("init --config").count(), 3, "{log}");
    // Three looks for a running cluster 2s apart, then three inits.
    let sleeps: Vec<&str> = log.lines().filter(|l| l.starts_with("sleep")).collect();
    assert_eq!(sleeps, ["sleep 2", "sleep 2", "sleep 10", "sleep 20"]);
    let (_dir, ok, log) = run_bootstrap(Role::Worker, 99, "echo after", 1);
    assert_eq!(ok, [false]);
    assert_eq!(log.matches("join --config").count(), 30);
    let sleeps: Vec<&str> = log.lines().filter(|l| l.starts_with("sleep")).collect();
    assert_eq!(&sleeps[..5], ["sleep 10", "sleep 20", "sleep 40", "sleep 60", "sleep 60"]);
    assert_eq!(sleeps.len(), 29);
}

#[test]
fn init_seeds_the_token_lifetime_left_at_boot() {
    // kubeadm refuses `expires` next to its defaulted `ttl`: the script
    // writes the lifetime left when kubeadm runs, into a copy of the config.
    let at = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let expires = crate::bootstrap::token::format_rfc3339(at);
    let (dir, ok, log) = run_bootstrap_with(Role::Init, 2, "echo after", 1, Some(expires));
    assert_eq!(ok, [true], "{log}");
    let run_config = format!("{}/var/lib/kubeadm/kubeadm-init.yaml", dir.path().display());
    assert_eq!(log.matches(&format!("init --config {run_config}")).count(), 2, "{log}");
    let ttls: Vec<u64> = log
        .lines()
        .filter_map(|l| l.trim().trim_start_matches("- ").strip_prefix("ttl: ")?.strip_suffix('s')?.parse().ok())
        .collect();
    assert_eq!(ttls.len(), 2, "{log}");
    assert!(ttls.iter().all(|t| (3500..=3600).contains(t)), "{ttls:?}");
    let rendered = std::fs::read_to_string(dir.path().join("etc/kubeadm/config.yaml")).unwrap();
    assert!(rendered.contains(TOKEN_TTL_PLACEHOLDER), "the rendered config keeps its placeholder");
    assert!(!rendered.contains("expires"), "{rendered}");
    let mode = std::fs::metadata(&run_config).unwrap().permissions();
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777, 0o600);

    // A token that has run out stops the node before kubeadm runs.
    let past = crate::bootstrap::token::format_rfc3339(time::OffsetDateTime::now_utc() - time::Duration::minutes(5));
    let (dir, ok, log) = run_bootstrap_with(Role::Init, 1, "echo after", 1, Some(past));
    assert_eq!(ok, [false]);
    assert!(!log.contains("init --config"), "{log}");
    assert!(!dir.path().join("var/lib/kubeadm/bootstrap.done").exists());
}

#[test]
fn fedora_coreos_before_1_31_needs_crictl() {
    let mut s = spec(Role::Worker, OperatingSystem::FedoraCoreos);
    s.cluster.kubernetes_version = KubernetesVersion::parse("v1.30.6").unwrap();
    let err = render(&s, &yaml()).unwrap_err();
    assert!(matches!(err, IgnitionError::MissingCrictl { .. }), "{err}");
    assert_eq!(err.input(), Some("kubernetes_artifacts"));
    assert!(err.to_string().contains("FileExisting-crictl"), "{err}");
    // With cri-tools' archive in the artifacts it renders, and unpacks it.
    let Artifacts::Remote(files) = &mut s.artifacts else { unreachable!() };
    files.push(RemoteFile {
        path: "/opt/kubeadm/artifacts/crictl-v1.30.1-linux-amd64.tar.gz".into(),
        url: "https://dl.example.com/crictl-v1.30.1-linux-amd64.tar.gz".into(),
        sha512: sha512_hex(b"crictl"),
        mode: 0o644,
        extract_to: Some("/usr/local/bin".into()),
    });
    let v = rendered(&s);
    let unit = units(&v)["kubeadm-artifacts.service"]["contents"].as_str().unwrap().to_owned();
    assert!(unit.contains("-C /usr/local/bin -xzf /opt/kubeadm/artifacts/crictl-v1.30.1-linux-amd64.tar.gz"), "{unit}");
    // Flatcar ships crictl; from 1.31 kubeadm does not call it.
    let mut flatcar = spec(Role::Worker, OperatingSystem::Flatcar);
    flatcar.cluster.kubernetes_version = KubernetesVersion::parse("v1.30.6").unwrap();
    assert!(render(&flatcar, &yaml()).is_ok());
    assert!(render(&spec(Role::Worker, OperatingSystem::FedoraCoreos), &yaml()).is_ok());
    // Preinstalled binaries: the image must bring it, which is a warning.
    let mut pre = spec(Role::Worker, OperatingSystem::FedoraCoreos);
    pre.cluster.kubernetes_version = KubernetesVersion::parse("v1.30.6").unwrap();
    pre.artifacts = Artifacts::Preinstalled;
    let r = render(&pre, &yaml()).unwrap();
    assert!(r.warnings.iter().any(|w| w.contains("crictl")), "{:?}", r.warnings);
}

/// The init node of the scripted runs, with the token expiring at `expires`.
fn init_spec(expires: Option<String>) -> NodeSpec {
    let mut s = spec(Role::Init, OperatingSystem::Flatcar);
    s.post_kubeadm_commands = vec!["echo after".into()];
    s.bootstrap_token.expires = expires;
    s
}

#[test]
fn init_joins_its_cluster_when_it_already_runs() {
    let run = run_script(&init_spec(None), 1, 1, Cluster::Running);
    assert_eq!(run.ok, [true], "{}\n{}", run.log, run.stdout);
    let root = run.dir.path().display().to_string();
    // One look, against the CA shipped with the node, then a join with the
    // config that carries the JoinConfiguration, and never an init.
    let first: Vec<&str> = run.log.lines().take(2).collect();
    assert_eq!(
        first,
        [
            format!("curl https://api.example.com:6443/ --cacert {root}/etc/kubernetes/pki/ca.crt").as_str(),
            format!("join --config {root}/etc/kubeadm/config.yaml pki:ca.crt ca.key etcd front-proxy-ca.crt front-proxy-ca.key sa.key sa.pub ").as_str(),
        ],
        "{}",
        run.log
    );
    assert!(!run.log.contains("init --config") && !run.log.contains("sleep"), "{}", run.log);
    run.printed("the API at api.example.com:6443 answers (HTTP 403) with a certificate from this cluster's CA");
    run.printed("the cluster already runs: joining it as a control plane (kubeadm join)");
    run.printed("kubeadm join, try 1 of 30");
    assert!(run.dir.path().join("var/lib/kubeadm/bootstrap.done").exists());

    // A join that fails is retried as a join, from a clean slate, with the CAs kept.
    let run = run_script(&init_spec(None), 3, 1, Cluster::Running);
    assert_eq!(run.ok, [true], "{}", run.log);
    assert_eq!(run.log.matches("join --config").count(), 3, "{}", run.log);
    assert_eq!(run.log.matches("reset").count(), 2, "{}", run.log);
    assert_eq!(run.log.matches("pki:ca.crt ca.key etcd").count(), 3, "{}", run.log);
    assert!(!run.log.contains("init --config"), "{}", run.log);
}

#[test]
fn init_founds_the_cluster_when_none_answers() {
    let run = run_script(&init_spec(None), 1, 1, Cluster::Absent);
    assert_eq!(run.ok, [true], "{}\n{}", run.log, run.stdout);
    let root = run.dir.path().display().to_string();
    let curl = format!("curl https://api.example.com:6443/ --cacert {root}/etc/kubernetes/pki/ca.crt");
    let lines: Vec<&str> = run.log.lines().collect();
    assert_eq!(lines[..5], [curl.as_str(), "sleep 2", curl.as_str(), "sleep 2", curl.as_str()], "{}", run.log);
    assert!(lines[5].starts_with(&format!("init --config {root}/etc/kubeadm/config.yaml ")), "{}", run.log);
    assert!(!run.log.contains("join --config"), "{}", run.log);
    for n in 1..=3 {
        run.printed(&format!(
            "no cluster with this CA at api.example.com:6443 (try {n} of 3): curl: (7) Failed to connect"
        ));
    }
    run.printed("no cluster with this CA answers at api.example.com:6443: founding it (kubeadm init)");
    run.printed("kubeadm init, try 1 of 3");
    assert!(run.dir.path().join("var/lib/kubeadm/bootstrap.done").exists());
}

#[test]
fn init_without_an_endpoint_never_looks_for_a_cluster() {
    let mut s = init_spec(None);
    s.cluster.control_plane_endpoint.clear();
    let script = contents(&rendered(&s), units::BOOTSTRAP_SCRIPT);
    assert!(!script.contains("curl") && !script.contains("ENDPOINT"), "{script}");
    assert!(script.contains("\"$KUBEADM\" init --config \"$CONFIG\""), "{script}");
    let run = run_script(&s, 1, 1, Cluster::Running);
    assert_eq!(run.ok, [true], "{}", run.log);
    assert!(!run.log.contains("curl") && !run.log.contains("join"), "{}", run.log);
    assert_eq!(run.log.matches("init --config").count(), 1, "{}", run.log);
    run.printed(
        "this config has no control_plane_endpoint, so there is no cluster to look for: founding it (kubeadm init)",
    );
}

#[test]
fn init_joins_with_the_node_token_while_it_lives() {
    // A live token: the join uses the rendered config as it is (the token's
    // ttl is an init matter), and the init path still seeds what is left.
    let at = crate::bootstrap::token::format_rfc3339(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    let run = run_script(&init_spec(Some(at.clone())), 1, 1, Cluster::Running);
    assert_eq!(run.ok, [true], "{}\n{}", run.log, run.stdout);
    let root = run.dir.path().display().to_string();
    assert!(run.log.contains(&format!("join --config {root}/etc/kubeadm/config.yaml ")), "{}", run.log);
    assert!(!run.dir.path().join("var/lib/kubeadm/kubeadm-init.yaml").exists());
    let run = run_script(&init_spec(Some(at)), 1, 1, Cluster::Absent);
    assert_eq!(run.ok, [true], "{}", run.log);
    assert!(
        run.log.contains(&format!(
            "init --config {root2}/var/lib/kubeadm/kubeadm-init.yaml",
            root2 = run.dir.path().display()
        )),
        "{}",
        run.log
    );

    // An expired one cannot join: the node stops with a reason instead of
    // retrying for half an hour, and never founds a cluster.
    let past = crate::bootstrap::token::format_rfc3339(time::OffsetDateTime::now_utc() - time::Duration::minutes(5));
    let run = run_script(&init_spec(Some(past.clone())), 1, 1, Cluster::Running);
    assert_eq!(run.ok, [false]);
    assert!(!run.log.contains("--config"), "{}", run.log);
    run.printed(&format!(
        "the cluster runs, but the bootstrap token expired at {past}: joining needs a token the cluster still knows"
    ));
    assert!(!run.dir.path().join("var/lib/kubeadm/bootstrap.done").exists());
}

#[test]
fn a_reboot_after_an_interrupted_try_looks_again() {
    // The first boot's join fails every try; the next boot resets and looks
    // again, and founds the cluster when it is gone by then.
    let s = init_spec(None);
    let first = run_script(&s, 99, 1, Cluster::Running);
    assert_eq!(first.ok, [false]);
    assert_eq!(first.log.matches("join --config").count(), 30);
    let root = first.dir.path().to_path_buf();
    let script = root.join("bootstrap.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .env("ROOT", &root)
        .env("LOG", root.join("log2"))
        .env("SUCCEED_ON", "0")
        .env("CLUSTER", "absent")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let log = std::fs::read_to_string(root.join("log2")).unwrap();
    let kinds: Vec<&str> = log.lines().map(|l| l.split(' ').next().unwrap_or("")).collect();
    assert_eq!(kinds, ["reset", "curl", "sleep", "curl", "sleep", "curl", "init"], "{log}");
}

#[test]
fn init_script_is_deterministic_and_names_the_bracketed_endpoint() {
    let mut s = init_spec(None);
    s.cluster.control_plane_endpoint = "fd00::10".into();
    let a = render(&s, &yaml()).unwrap();
    assert_eq!(a, render(&s, &yaml()).unwrap());
    let script = contents(&serde_json::from_str(&a.json).unwrap(), units::BOOTSTRAP_SCRIPT);
    // curl takes brackets literally only with --globoff.
    assert!(script.contains("ENDPOINT=[fd00::10]:6443\n") && script.contains("--globoff"), "{script}");
    // An init config without the JoinConfiguration could not join: refused.
    let without = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n";
    assert_eq!(render(&s, without).unwrap_err(), IgnitionError::InitWithoutJoin);
    s.cluster.control_plane_endpoint.clear();
    assert!(render(&s, without).is_ok());
    // Nothing that a shell would read goes into the script.
    s.cluster.control_plane_endpoint = "api$(reboot).example.com".into();
    assert!(matches!(render(&s, &yaml()), Err(IgnitionError::JoinEndpoint { .. })));
}

/// Runs the rendered `cluster_answers` function with the real curl against
/// `endpoint`, trusting `ca_pem`; returns whether a cluster was found, how
/// long it took and what it logged.
fn probe_for_real(ca_pem: &str, endpoint: &str) -> (bool, std::time::Duration, String) {
    let script = contents(&rendered(&init_spec(None)), units::BOOTSTRAP_SCRIPT);
    let start = script.find("cluster_answers() {").unwrap();
    let end = start + script[start..].find("\n}\n").unwrap() + 3;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.crt"), ca_pem).unwrap();
    let body = format!(
        "set -euo pipefail\nlog() {{ echo \"kubeadm-bootstrap: $*\"; }}\nPKI_DIR={d}\nSTATE_DIR={d}\nENDPOINT={endpoint}\n{}\
         if cluster_answers; then echo FOUND; else echo NONE; fi\n",
        &script[start..end],
        d = dir.path().display()
    );
    let began = std::time::Instant::now();
    let out = std::process::Command::new("bash").arg("-c").arg(&body).output().unwrap();
    let took = began.elapsed();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    (text.ends_with("FOUND\n"), took, text)
}

/// A TLS server answering HTTP on 127.0.0.1 (`openssl s_server -www`) with a
/// certificate for 127.0.0.1 signed by `ca`; killed on drop.
struct TlsServer {
    child: std::process::Child,
    /// Holds the certificates while the server runs.
    _dir: tempfile::TempDir,
    port: u16,
}

impl TlsServer {
    fn start(ca: &crate::bootstrap::pki::CaPair) -> TlsServer {
        let dir = tempfile::tempdir().unwrap();
        let p = |f: &str| dir.path().join(f).display().to_string();
        std::fs::write(p("ca.crt"), &ca.cert_pem).unwrap();
        std::fs::write(p("ca.key"), ca.key_pem.expose()).unwrap();
        std::fs::write(p("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
        let sh = format!(
            "set -e; cd {d}; openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key \
             -out srv.csr -subj /CN=kube-apiserver 2>/dev/null; openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key \
             -CAcreateserial -out srv.crt -days 1 -extfile san.ext 2>/dev/null",
            d = dir.path().display()
        );
        let made = std::process::Command::new("bash").arg("-c").arg(&sh).output().unwrap();
        assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = std::process::Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept", &format!("127.0.0.1:{port}")])
            .args(["-cert", &p("srv.crt"), "-key", &p("srv.key")])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "openssl s_server did not start");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        TlsServer { child, _dir: dir, port }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_probe_with_real_curl_finds_only_its_own_cluster_and_gives_up_in_time() {
    use crate::bootstrap::pki::{generate_ca, CaRole, KeyAlgorithm};
    let now = time::OffsetDateTime::now_utc();
    let ca = generate_ca(CaRole::Kubernetes, "probe", KeyAlgorithm::EcdsaP256, 1, now).unwrap();
    let other = generate_ca(CaRole::Kubernetes, "probe", KeyAlgorithm::EcdsaP256, 1, now).unwrap();
    let ours = TlsServer::start(&ca);
    let theirs = TlsServer::start(&other);
    // A port nobody listens on, and one that takes connections and never speaks.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let cases = [
        ("our cluster", ours.port, true),
        ("another CA's server", theirs.port, false),
        ("nothing listening", closed, false),
        ("a silent listener", silent_port, false),
    ];
    let results: Vec<(&str, bool, std::time::Duration, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .iter()
            .map(|(name, port, _)| {
                let ca_pem = ca.cert_pem.clone();
                s.spawn(move || {
                    let (found, took, log) = probe_for_real(&ca_pem, &format!("127.0.0.1:{port}"));
                    (*name, found, took, log)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    drop(silent);
    let bound = std::time::Duration::from_secs(u64::from(
        units::PROBE_TRIES * units::PROBE_MAX_SECONDS + (units::PROBE_TRIES - 1) * units::PROBE_PAUSE_SECONDS,
    ));
    assert!(bound.as_secs() < 20, "{bound:?}");
    for ((name, found, took, log), (_, _, want)) in results.iter().zip(cases) {
        eprintln!("probe, {name}: found={found} in {took:.1?}");
        assert_eq!(*found, want, "{name}: {log}");
        assert!(*took <= bound + std::time::Duration::from_secs(2), "{name} took {took:?}: {log}");
        if want {
            assert!(log.contains("answers (HTTP 200)"), "{log}");
            assert!(*took < std::time::Duration::from_secs(2), "{name} took {took:?}");
        } else {
            assert_eq!(log.matches("no cluster with this CA at").count(), 3, "{name}: {log}");
        }
    }
    let said = |n: usize| results[n].3.clone();
    assert!(said(1).contains("SSL certificate problem"), "{}", said(1));
    assert!(said(2).contains("Failed to connect"), "{}", said(2));
    assert!(said(3).contains("curl: (28)"), "a timeout: {}", said(3));
}
