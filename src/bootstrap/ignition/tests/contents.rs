//! What each role and OS gets: determinism, files, units, modes, secrets on
//! workers, artifacts, users.

use super::*;

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
