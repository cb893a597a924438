//! Compat mode end to end: the Cluster API fixtures in tests/fixtures/capi
//! (init, control-plane join, worker, KubeadmConfigTemplate +
//! MachineDeployment, KubeadmControlPlane; each in v1beta1 and v1beta2) go
//! through Terraform next to the native HCL configuration that describes the
//! same node. Both must give the same kubeadm documents and the same Ignition
//! config, which `ignition-validate` accepts without a word and the real
//! Ignition engine applies. Every kubeadm config rendered here is accepted by
//! `kubeadm config validate` of the matching kubeadm release (built by
//! `scripts/install-kubernetes.sh`). Bad manifests fail the plan with the
//! YAML path.

use crate::support;

use crate::ignition_support;
use crate::kubeadm_support;

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use support::{config, repo_root, run_case, Step};

const PKI_AND_TOKEN: &str = r#"
resource "kubeadm_cluster_ca" "ca" {
  cluster_name  = "demo"
  key_algorithm = "ECDSA-P256"
}

resource "kubeadm_bootstrap_token" "join" {}
"#;

const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeDemoKeyFakeDemoKeyFakeDemoKeyFakeDemo demo@example.com";

struct Case {
    /// Fixture file under tests/fixtures/capi, e.g. `v1beta1/init.yaml`.
    fixture: &'static str,
    /// The Kubernetes version the fixture's Machine (or template) names.
    kubernetes_version: &'static str,
    /// Extra attributes of the compat data source.
    capi_extra: String,
    /// The native description of the same node (everything but the CA and token).
    native: String,
}

fn ident(fixture: &str) -> String {
    fixture.trim_end_matches(".yaml").replace(['/', '-'], "_")
}

/// The fixtures' sysctl file replaces the one the provider generates at the
/// same path; natively that takes an Ignition config merged on top.
fn sysctl(content: &str) -> String {
    format!(
        r#"
  additional_ignition = [jsonencode({{
    ignition = {{ version = "3.3.0" }}
    storage = {{ files = [{{
      path      = "/etc/sysctl.d/90-kubernetes.conf"
      overwrite = true
      contents  = {{ source = "data:;base64,${{base64encode("{content}")}}" }}
      mode      = 420
      user      = {{ name = "root" }}
      group     = {{ name = "root" }}
    }}] }}
  }})]"#
    )
}

const FORWARD: &str = "net.ipv4.ip_forward = 1\\n";

const SUDO_USER: &str = r#"
  files {
    path    = "/etc/sudoers.d/capi"
    mode    = "0440"
    content = "capi ALL=(ALL) NOPASSWD:ALL\n"
  }"#;

/// The node block of the fixtures' control planes: the EC2 name, the external cloud provider.
const AWS_NODE: &str = r#"node {
    name_from          = "aws"
    kubelet_extra_args = { "cloud-provider" = "external" }
  }"#;

fn users(extra: &str) -> String {
    format!("\n  users {{\n    name = \"capi\"\n    ssh_authorized_keys = [\"{KEY}\"]\n    {extra}\n  }}")
}

fn cluster(version: &str, extra: &str) -> String {
    format!(
        r#"
  cluster {{
    name                   = "demo"
    kubernetes_version     = "{version}"
    control_plane_endpoint = "api.demo.example.com:6443"
    pod_subnet             = "192.168.0.0/16"
    {extra}
  }}"#
    )
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for v in ["v1beta1", "v1beta2"] {
        let v2 = v == "v1beta2";
        // init: Cluster not initialized, control-plane Machine.
        let init_timeouts = if v2 {
            r#"
  kubeadm_config_patches {
    init_configuration = jsonencode({ timeouts = { controlPlaneComponentHealthCheck = "5m0s" } })
  }"#
        } else {
            ""
        };
        // In v1beta2 the Secret's value comes from capi_secrets instead, which wins over the manifest.
        let (cloud_conf, capi_extra) = if v2 {
            (
                "[Global]\\nZone = eu-west-1b\\n",
                r#"capi_secrets = { "demo-cloud-config" = { "cloud.conf" = "[Global]\nZone = eu-west-1b\n" } }"#
                    .to_string(),
            )
        } else {
            ("[Global]\\nZone = eu-west-1a\\n", String::new())
        };
        out.push(Case {
            fixture: if v2 { "v1beta2/init.yaml" } else { "v1beta1/init.yaml" },
            kubernetes_version: "v1.31.4",
            capi_extra,
            native: format!(
                r#"
  role = "init"
  {cluster}
  node {{
    name_from          = "aws"
    kubelet_extra_args = {{ "cloud-provider" = "external" }}
    taints = [
      {{ key = "node-role.kubernetes.io/control-plane", effect = "NoSchedule" }},
      {{ key = "example.com/dedicated", value = "control-plane", effect = "NoExecute" }},
    ]
  }}
  {init_sysctl}
  files {{
    path    = "/etc/kubernetes/cloud.conf"
    owner   = "root:root"
    mode    = "0600"
    content = "{cloud_conf}"
  }}
  {SUDO_USER}
  {users}
  post_kubeadm_commands = ["echo \"kubeadm init finished\" > /var/log/capi-bootstrap.log"]
  ntp {{ servers = ["0.pool.ntp.org", "1.pool.ntp.org"] }}
  {init_timeouts}
"#,
                init_sysctl = sysctl("net.ipv4.ip_forward = 1\\nfs.inotify.max_user_instances = 8192\\n"),
                cluster = cluster(
                    "v1.31.4",
                    r#"api_server {
      cert_sans  = ["api.demo.example.com", "127.0.0.1"]
      extra_args = { "cloud-provider" = "external", "profiling" = "false" }
    }
    controller_manager {
      extra_args = { "cloud-provider" = "external", "profiling" = "false" }
    }"#
                ),
                users = users(""),
            ),
        });

        // Control-plane join: Cluster initialized.
        let join_patch = if v2 {
            r#"{ controlPlane = { localAPIEndpoint = { bindPort = 6443 } }, timeouts = { tlsBootstrap = "5m0s" } }"#
        } else {
            r#"{ controlPlane = { localAPIEndpoint = { bindPort = 6443 } } }"#
        };
        out.push(Case {
            fixture: if v2 { "v1beta2/control-plane-join.yaml" } else { "v1beta1/control-plane-join.yaml" },
            kubernetes_version: "v1.31.4",
            capi_extra: String::new(),
            native: format!(
                r#"
  role = "control-plane"
  {cluster}
  {AWS_NODE}
  {sysctl}
  {SUDO_USER}
  {users}
  post_kubeadm_commands = ["echo \"kubeadm join (control plane) finished\" > /var/log/capi-bootstrap.log"]
  ntp {{ servers = ["0.pool.ntp.org"] }}
  kubeadm_config_patches {{
    join_configuration = jsonencode({join_patch})
  }}
"#,
                sysctl = sysctl(FORWARD),
                cluster = cluster("v1.31.4", ""),
                users = users(""),
            ),
        });

        // Worker Machine.
        out.push(Case {
            fixture: if v2 { "v1beta2/worker.yaml" } else { "v1beta1/worker.yaml" },
            kubernetes_version: "v1.31.4",
            capi_extra: String::new(),
            native: format!(
                r#"
  role = "worker"
  {cluster}
  node {{
    name_from = "aws"
    kubelet_extra_args = {{
      "cloud-provider" = "external"
      "node-labels"    = "node.example.com/pool=general,node.example.com/tier=frontend"
    }}
    taints = [{{ key = "node.example.com/pool", value = "general", effect = "PreferNoSchedule" }}]
  }}
  files {{
    path    = "/etc/motd.d/10-capi"
    owner   = "root:root"
    mode    = "0644"
    content = "demo-bootstrap-banner\n"
  }}
  {sysctl}
  {SUDO_USER}
  {users}
"#,
                sysctl = sysctl(FORWARD),
                cluster = cluster("v1.31.4", ""),
                users = users("shell = \"/bin/bash\"\n    groups = [\"docker\", \"wheel\"]"),
            ),
        });

        // KubeadmConfigTemplate + MachineDeployment: a worker on 1.30 (kubeadm v1beta3).
        let md_patch = if v2 {
            r#"
  kubeadm_config_patches {
    join_configuration = jsonencode({ discovery = { timeout = "5m0s" } })
  }"#
        } else {
            ""
        };
        out.push(Case {
            fixture: if v2 { "v1beta2/machinedeployment.yaml" } else { "v1beta1/machinedeployment.yaml" },
            kubernetes_version: "v1.30.8",
            capi_extra: String::new(),
            native: format!(
                r#"
  role = "worker"
  {cluster}
  node {{
    name_from = "aws"
    kubelet_extra_args = {{
      "cloud-provider" = "external"
      "node-labels"    = "node.example.com/pool=md-0"
    }}
  }}
  files {{
    path    = "/etc/kubernetes/version-info"
    owner   = "root:root"
    mode    = "0644"
    content = "control-plane=unknown\n"
  }}
  {SUDO_USER}
  {users}
  {md_patch}
"#,
                cluster = cluster("v1.30.8", ""),
                users = users(""),
            ),
        });

        // KubeadmControlPlane: the first machine, Cluster not initialized.
        // KCP turns on ControlPlaneKubeletLocalMode for Kubernetes 1.31 to 1.35.
        // Its template file renders the version of the control plane the
        // Cluster names: this KubeadmControlPlane's.
        let (kcp_timeout, etcd) = if v2 {
            ("4m0s", "etcd {\n      extra_args = { \"quota-backend-bytes\" = \"8589934592\" }\n    }")
        } else {
            ("5m0s", "")
        };
        out.push(Case {
            fixture: if v2 { "v1beta2/kubeadmcontrolplane.yaml" } else { "v1beta1/kubeadmcontrolplane.yaml" },
            kubernetes_version: "v1.31.4",
            capi_extra: String::new(),
            native: format!(
                r#"
  role = "init"
  {cluster}
  {AWS_NODE}
  {sysctl}
  files {{
    path    = "/etc/kubernetes/control-plane-version"
    owner   = "root:root"
    mode    = "0644"
    content = "v1.31.4\n"
  }}
  {SUDO_USER}
  {users}
  ntp {{ servers = ["0.pool.ntp.org"] }}
  kubeadm_config_patches {{
    init_configuration = jsonencode({{ timeouts = {{ controlPlaneComponentHealthCheck = "{kcp_timeout}" }} }})
  }}
"#,
                sysctl = sysctl(FORWARD),
                cluster = cluster(
                    "v1.31.4",
                    &format!(
                        r#"api_server {{
      cert_sans  = ["api.demo.example.com"]
      extra_args = {{ "cloud-provider" = "external" }}
    }}
    controller_manager {{
      extra_args = {{ "cloud-provider" = "external" }}
    }}
    feature_gates = {{ ControlPlaneKubeletLocalMode = true }}
    {etcd}"#
                    )
                ),
                users = users(""),
            ),
        });
    }
    out
}

fn fixture_path(fixture: &str) -> String {
    repo_root().join("tests/fixtures/capi").join(fixture).display().to_string()
}

fn validate(name: &str, json: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.ign"));
    std::fs::write(&path, json).unwrap();
    let out = Command::new("ignition-validate")
        .arg(&path)
        .output()
        .expect("ignition-validate is missing; run scripts/install-ignition.sh");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && text.trim().is_empty(), "{name}: ignition-validate said:\n{text}");
}

#[test]
fn fixtures_render_like_their_native_configuration() {
    let cases = cases();
    let mut body = String::from(PKI_AND_TOKEN);
    for c in &cases {
        let id = ident(c.fixture);
        body.push_str(&format!(
            r#"
data "kubeadm_ignition_config" "capi_{id}" {{
  cluster_ca      = kubeadm_cluster_ca.ca
  bootstrap_token = kubeadm_bootstrap_token.join
  capi_manifests  = file("{path}")
  {extra}
}}

data "kubeadm_ignition_config" "native_{id}" {{
  cluster_ca      = kubeadm_cluster_ca.ca
  bootstrap_token = kubeadm_bootstrap_token.join
  {native}
}}
"#,
            path = fixture_path(c.fixture),
            extra = c.capi_extra,
            native = c.native,
        ));
    }
    for c in &cases {
        // The version kubeadm judges a fixture's config with is the one the fixture names.
        let manifest = std::fs::read_to_string(fixture_path(c.fixture)).unwrap();
        assert!(manifest.contains(&format!("version: {}", c.kubernetes_version)), "{}", c.fixture);
        assert!(c.native.contains(&format!("\"{}\"", c.kubernetes_version)), "{}", c.fixture);
    }
    let ids: Vec<String> = cases.iter().map(|c| ident(c.fixture)).collect();
    let versions: Vec<&'static str> = cases.iter().map(|c| c.kubernetes_version).collect();
    let engine_done = AtomicBool::new(false);
    let engine_done = std::sync::Arc::new(engine_done);
    run_case(
        "capi fixtures equal native HCL",
        &[Step::config(config(&body)).check(move |s| {
            for (id, version) in ids.iter().zip(&versions) {
                let capi = format!("data.kubeadm_ignition_config.capi_{id}");
                let native = format!("data.kubeadm_ignition_config.native_{id}");
                let (a, b) = (s.str(&capi, "kubeadm_config"), s.str(&native, "kubeadm_config"));
                if a != b {
                    return Err(format!("{id}: kubeadm documents differ\n--- compat\n{a}\n--- native\n{b}"));
                }
                // Both are the same config: real kubeadm judges it once.
                kubeadm_support::assert_valid(&a, version, &format!("capi fixture {id} (Kubernetes {version})"));
                // Key order may differ where native HCL merges a config written
                // with jsonencode. Parsed strictly: two configs that are not JSON
                // must not compare equal as nulls.
                let parse = |what: &str, t: &str| {
                    serde_json::from_str::<serde_json::Value>(t)
                        .map_err(|e| format!("{id}: the {what} Ignition config is not JSON ({e}):\n{t}"))
                };
                let (ra, rb) = (s.str(&capi, "rendered"), s.str(&native, "rendered"));
                if parse("compat", &ra)? != parse("native", &rb)? {
                    let (fa, fb) = (files_of(&ra), files_of(&rb));
                    let differing: Vec<&String> =
                        fa.keys().chain(fb.keys()).filter(|p| fa.get(*p) != fb.get(*p)).collect();
                    return Err(format!(
                        "{id}: Ignition configs differ (files {differing:?}): {:?} vs {:?}",
                        differing.first().map(|p| fa.get(*p)),
                        differing.first().map(|p| fb.get(*p))
                    ));
                }
            }
            // The Ignition tools once: the configs are the same on every Terraform.
            if !engine_done.swap(true, Ordering::SeqCst) {
                for id in &ids {
                    let rendered = s.str(&format!("data.kubeadm_ignition_config.capi_{id}"), "rendered");
                    validate(id, &rendered);
                    let run = ignition_support::run_engine(&rendered, &ignition_support::ALL_STAGES);
                    if !run.ok {
                        return Err(format!("{id}: the Ignition engine failed:\n{}", run.log_tail()));
                    }
                    let root = run.root();
                    let sudoers = ignition_support::read(&root, "/etc/sudoers.d/capi");
                    if sudoers != b"capi ALL=(ALL) NOPASSWD:ALL\n" {
                        return Err(format!("{id}: sudoers rule not written"));
                    }
                    let passwd = String::from_utf8(ignition_support::read(&root, "/etc/passwd")).unwrap();
                    if !passwd.lines().any(|l| l.starts_with("capi:")) {
                        return Err(format!("{id}: user capi not created:\n{passwd}"));
                    }
                    let kubeadm = String::from_utf8(ignition_support::read(&root, "/etc/kubeadm/config.yaml")).unwrap();
                    if kubeadm.contains("node.cluster.x-k8s.io/uninitialized") || kubeadm.contains("${") {
                        return Err(format!("{id}: Cluster API leftovers in the kubeadm config:\n{kubeadm}"));
                    }
                }
            }
            Ok(())
        })],
    );
}

/// Path → content of the inline files of a rendered config.
fn files_of(rendered: &str) -> std::collections::BTreeMap<String, String> {
    use base64::Engine as _;
    let v: serde_json::Value = serde_json::from_str(rendered).unwrap();
    let mut out = std::collections::BTreeMap::new();
    for f in v["storage"]["files"].as_array().into_iter().flatten() {
        let source = f["contents"]["source"].as_str().unwrap_or_default();
        if let Some(b64) = source.strip_prefix("data:;base64,") {
            let bytes = base64::engine::general_purpose::STANDARD.decode(b64).unwrap_or_default();
            out.insert(
                f["path"].as_str().unwrap_or_default().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            );
        }
    }
    out
}

fn one_node(manifests: &str, extra: &str) -> String {
    config(&format!(
        r#"{PKI_AND_TOKEN}
data "kubeadm_ignition_config" "n" {{
  cluster_ca      = kubeadm_cluster_ca.ca
  bootstrap_token = kubeadm_bootstrap_token.join
  capi_manifests  = <<-EOT
{manifests}
EOT
  {extra}
}}
"#
    ))
}

const WORKER_CONFIG: &str = "apiVersion: bootstrap.cluster.x-k8s.io/v1beta1\nkind: KubeadmConfig\nmetadata:\n  name: w\nspec:\n  joinConfiguration: {}\n";

#[test]
fn bad_manifests_fail_the_plan_with_their_yaml_path() {
    let two = format!("{WORKER_CONFIG}---\n{}", WORKER_CONFIG.replace("name: w", "name: w2"));
    let missing_secret = format!(
        "{WORKER_CONFIG}  files:\n    - path: /etc/creds\n      contentFrom:\n        secret:\n          name: creds\n          key: token\n"
    );
    let disk =
        format!("{WORKER_CONFIG}  diskSetup:\n    filesystems:\n      - device: /dev/xvdb\n        filesystem: ext4\n");
    let file = |fields: &str| format!("{WORKER_CONFIG}  files:\n    - {{path: /etc/v, {fields}}}\n");
    let go_template = file("contentFormat: go-template, content: x");
    let pipeline = file("contentFormat: Template, content: '{{ .controlPlane.version | printf \"%s\" }}'");
    let cluster = "  cluster {\n    name = \"demo\"\n    kubernetes_version = \"v1.31.4\"\n    control_plane_endpoint = \"api.demo.example.com\"\n  }";
    run_case(
        "bad capi manifests",
        &[
            Step::config(one_node("kind: [", cluster))
                .expect_error("Unusable capi_manifests")
                .expect_error("document 1: is not valid YAML at line"),
            Step::config(one_node("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x", cluster))
                .expect_error("document 1, apiVersion: \"apps/v1\" is not a Cluster API group"),
            Step::config(one_node(
                "apiVersion: bootstrap.cluster.x-k8s.io/v1alpha2\nkind: KubeadmConfig\nmetadata:\n  name: x",
                cluster,
            ))
            .expect_error("document 1, apiVersion: \"bootstrap.cluster.x-k8s.io/v1alpha2\" is not a supported version"),
            Step::config(one_node(
                "apiVersion: bootstrap.cluster.x-k8s.io/v1beta1\nkind: KubeadmThing\nmetadata:\n  name: x",
                cluster,
            ))
            .expect_error("document 1, kind: \"KubeadmThing\" is not a kind"),
            Step::config(one_node(&two, cluster))
                .expect_error("KubeadmConfig default/w2 (document 2): the manifests hold 2 KubeadmConfig objects (w, w2)"),
            Step::config(one_node(&missing_secret, cluster))
                .expect_error("KubeadmConfig default/w (document 1), spec.files[0].contentFrom: the Secret \"creds\" (key \"token\") has no value here")
                .expect_error("capi_secrets"),
            Step::config(one_node(&disk, cluster))
                .expect_error("spec.diskSetup: partitioning and formatting disks is not rendered"),
            // Cluster API's content formats are Raw and Template; templates use what compat mode renders.
            Step::config(one_node(&go_template, cluster)).expect_error(
                "KubeadmConfig default/w (document 1), spec.files[0].contentFormat: \"go-template\" is not a content format Cluster API knows (Raw or Template)",
            ),
            Step::config(one_node(&pipeline, cluster))
                .expect_error("spec.files[0].content: the Go template (contentFormat: Template) cannot be rendered")
                .expect_error("a pipeline (|)"),
            // No version anywhere: the attribute path says where to put it.
            Step::config(one_node(WORKER_CONFIG, "cluster {\n    name = \"demo\"\n    control_plane_endpoint = \"api.demo.example.com\"\n  }"))
                .expect_error("Missing kubernetes_version")
                .expect_error("cluster.kubernetes_version"),
        ],
    );
}

#[test]
fn hcl_overrides_what_the_manifests_say() {
    let manifests = std::fs::read_to_string(fixture_path("v1beta1/worker.yaml")).unwrap();
    // Terraform would interpolate ${...} inside a heredoc.
    let indented: String = manifests.lines().map(|l| format!("{}\n", l.replace("${", "$${"))).collect();
    let extra = r#"role = "worker"
  cluster {
    kubernetes_version = "v1.34.4"
  }
  node {
    name_from          = "hostname"
    kubelet_extra_args = { "node-labels" = "tier=override" }
    taints             = []
  }
  pre_kubeadm_commands = ["echo from-hcl"]
  files {
    path    = "/etc/motd.d/10-capi"
    content = "from hcl\n"
  }"#;
    run_case(
        "capi with HCL overrides",
        &[Step::config(one_node(&indented, extra)).check(|s| {
            let kubeadm = s.str("data.kubeadm_ignition_config.n", "kubeadm_config");
            let rendered = s.str("data.kubeadm_ignition_config.n", "rendered");
            kubeadm_support::assert_valid(&kubeadm, "v1.34.4", "v1beta1/worker.yaml with HCL overrides");
            for want in ["kubeadm.k8s.io/v1beta4", "tier=override", "taints: []", "cloud-provider"] {
                if !kubeadm.contains(want) {
                    return Err(format!("kubeadm config lacks {want:?}:\n{kubeadm}"));
                }
            }
            if kubeadm.contains("__KUBEADM_NODE_NAME__") || kubeadm.contains("PreferNoSchedule") {
                return Err(format!("manifest values not overridden:\n{kubeadm}"));
            }
            let files = files_of(&rendered);
            if files.get("/etc/motd.d/10-capi").map(String::as_str) != Some("from hcl\n") {
                return Err(format!("HCL file did not replace the manifest's: {:?}", files.get("/etc/motd.d/10-capi")));
            }
            let script = files.get("/opt/kubeadm/bootstrap.sh").cloned();
            match script {
                Some(s) if s.contains("echo from-hcl") && !s.contains("envsubst") => Ok(()),
                other => Err(format!("bootstrap script without the HCL command: {other:?}")),
            }
        })],
    );
}

/// The Kubernetes version of the migration example's Machine (`capi/worker-0.yaml`).
const MIGRATION_VERSION: &str = "v1.31.4";

#[test]
fn migration_example_applies() {
    let dir = repo_root().join("examples/capi-migration");
    let manifest = std::fs::read_to_string(dir.join("capi/worker-0.yaml")).unwrap();
    assert!(manifest.contains(&format!("version: {MIGRATION_VERSION}")), "capi/worker-0.yaml changed its version");
    let main = std::fs::read_to_string(dir.join("main.tf")).unwrap();
    // The example reads capi/worker-0.yaml next to it; the test runs elsewhere.
    let main = main.replace("${path.module}/capi/worker-0.yaml", &dir.join("capi/worker-0.yaml").display().to_string());
    run_case(
        "cluster-api migration example",
        &[Step::config(main).check(|s| {
            if s.output("role") != serde_json::json!("JoinConfiguration") {
                return Err(format!("role output is {}", s.output("role")));
            }
            let kubeadm = s.str("kubeadm_ignition_config.worker", "kubeadm_config");
            for want in ["node.example.com/managed-by=terraform", "cloud-provider", "__KUBEADM_NODE_NAME__"] {
                if !kubeadm.contains(want) {
                    return Err(format!("kubeadm config lacks {want:?}:\n{kubeadm}"));
                }
            }
            kubeadm_support::assert_valid(&kubeadm, MIGRATION_VERSION, "the capi-migration example's worker");
            Ok(())
        })],
    );
}

#[test]
fn without_manifests_role_and_cluster_are_required() {
    let body = format!(
        "{PKI_AND_TOKEN}\ndata \"kubeadm_ignition_config\" \"n\" {{\n  cluster_ca      = kubeadm_cluster_ca.ca\n  bootstrap_token = kubeadm_bootstrap_token.join\n}}\n"
    );
    run_case(
        "role and cluster required without manifests",
        &[Step::config(config(&body))
            .expect_error("Missing role")
            .expect_error("Missing kubernetes_version")
            .expect_error("Missing cluster name")],
    );
}
