//! `examples/aws-cluster` and the `examples/modules/kubeadm-aws` module it
//! uses, for real:
//!
//! - both pass `terraform validate` and `terraform fmt -check` on every
//!   Terraform found from 1.4 on (the module rolls control planes with
//!   `replace_triggered_by` and `terraform_data`), and older ones refuse them
//!   at `terraform init` by the version constraint;
//! - the module's own `terraform test` files (a mocked AWS provider, this
//!   provider for real) pass on every Terraform that has mock providers
//!   (1.7 and newer); older ones are skipped with the reason printed;
//! - on the newest Terraform, the example is applied with the real
//!   `hashicorp/aws` provider (from the filesystem mirror in
//!   `/opt/tf-plugins`, or `KUBEADM_AWS_PROVIDER_MIRROR`) and this provider
//!   (installed into a filesystem mirror) against a moto server standing in
//!   for S3, EC2, IAM, ELBv2, Auto Scaling and STS. The user data moto holds
//!   for every control-plane instance and the workers' launch template is
//!   booted by the real Ignition engine: the presigned pointer config makes it
//!   fetch the stored config from moto over http and check its SHA-512 (the
//!   workers' stable pointer has none), and the node's
//!   `/etc/kubeadm/config.yaml` must say `InitConfiguration` for the first
//!   control plane, `JoinConfiguration` with `controlPlane` for the others,
//!   and a `JoinConfiguration` without it for the workers. A second plan must
//!   be empty; destroy must remove the objects and the bucket;
//! - on the newest Terraform, against moto again: a token rotation
//!   (`-replace` of the token) plans updates of the node configs and no
//!   change to any instance, launch template or auto scaling group; after
//!   the apply the workers' object at its stable key holds the new token and
//!   the launch template's user data is byte-identical. With pinned worker
//!   configs (the control) the same rotation does change the launch template.
//!
//! What moto does differently from AWS, and how the example copes:
//!
//! - moto enforces bucket policies, so the module's TLS-only policy refuses
//!   every request over plain http, the provider's uploads included: the test
//!   sets `store_bucket_tls_only = false` (the policy itself is checked by the
//!   module's mocked tests).
//! - The provider skips neither the account ID lookup nor STS: moto answers
//!   `GetCallerIdentity`, and without an account ID the AWS provider reads
//!   security-group references back as `<account>/<group>` and plans them
//!   again forever.
//! - moto copies a launch template's own tags into its launch-template data,
//!   and drops descriptions of rules that reference a security group; either
//!   would show as a change in every plan. The module tags the template with
//!   the caller's tags only (none here) and sets no description on those rules.
//! - moto's network load balancer becomes active on the second poll, so its
//!   creation takes the AWS provider's minimum wait (about a minute).
//! - Instances the group launches carry no instance profile in moto; the
//!   profile is checked on the launch template instead.
//!
//! Needs root, the Ignition engine (`scripts/install-ignition.sh`) and
//! `moto_server` (`scripts/install-moto.sh`).

use crate::support;

use crate::ignition_support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ignition_support::{mode_of, run_engine, ALL_STAGES};
use serde_json::Value;
use support::{install_mirror, repo_root, terraforms, Moto, Run, State, Terraform, WorkDir};
use terraform_provider_kubeadm::bootstrap::kubeadm;

const EXAMPLE: &str = "examples/aws-cluster";
const MODULE: &str = "examples/modules/kubeadm-aws";
const BUCKET: &str = "kubeadm-e2e-configs";
const CLUSTER: &str = "e2e";
const CONFIG_PATH: &str = "/etc/kubeadm/config.yaml";
const CA_KEY: &str = "/etc/kubernetes/pki/ca.key";

/// The AWS provider needs a lot of memory and CPU: one Terraform at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The filesystem mirror holding the real `hashicorp/aws` provider, for `tf`.
/// The machine's mirror holds it under `registry.terraform.io`; OpenTofu
/// reads `hashicorp/aws` as `registry.opentofu.org/hashicorp/aws`, so for it
/// a mirror in `wd` links the same package under that host.
fn aws_mirror(tf: &Terraform, wd: &WorkDir) -> PathBuf {
    let dir =
        std::env::var("KUBEADM_AWS_PROVIDER_MIRROR").map(PathBuf::from).unwrap_or_else(|_| "/opt/tf-plugins".into());
    let provider = dir.join("registry.terraform.io/hashicorp/aws");
    assert!(
        provider.is_dir(),
        "no hashicorp/aws provider in a filesystem mirror at {} (set KUBEADM_AWS_PROVIDER_MIRROR to the mirror's directory)",
        provider.display()
    );
    if !tf.is_opentofu() {
        return dir;
    }
    // OpenTofu's mirror scan does not follow a linked directory: make the
    // directories and link the files.
    let own = wd.path().join(".aws-mirror");
    link_files(&provider, &own.join(tf.registry_host()).join("hashicorp/aws"));
    own
}

/// Recreates the directories under `from` at `to`, each file a link to the original.
fn link_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.is_dir() {
            link_files(&path, &to.join(entry.file_name()));
        } else {
            std::os::unix::fs::symlink(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// Copies `from` into `to`, leaving out what a local run may have left
/// (`.terraform`, lock files, state, the module tests' local store).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".terraform") || name.starts_with(".kubeadm") || name.contains(".tfstate") {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}

/// A working directory holding copies of the example and the module at their
/// relative places, a CLI config with both filesystem mirrors (this provider,
/// freshly built, and the real AWS provider), and `env` for every command.
fn workdir(tf: &Terraform, env: &[(String, String)]) -> WorkDir {
    let mut wd = WorkDir::new(tf);
    install_mirror(&wd);
    let cli = wd.path().join("aws-cluster.tfrc");
    std::fs::write(
        &cli,
        format!(
            r#"provider_installation {{
  filesystem_mirror {{
    path    = "{ours}"
    include = ["{host}/kubeadm-ignition/*"]
  }}
  filesystem_mirror {{
    path    = "{aws}"
    include = ["{host}/hashicorp/aws"]
  }}
}}
"#,
            ours = wd.path().join(".mirror").display(),
            aws = aws_mirror(tf, &wd).display(),
            host = tf.registry_host()
        ),
    )
    .unwrap();
    wd.env.push(("TF_CLI_CONFIG_FILE".into(), cli.display().to_string()));
    wd.env.extend(env.iter().cloned());
    copy_tree(&repo_root().join(EXAMPLE), &wd.path().join(EXAMPLE));
    copy_tree(&repo_root().join(MODULE), &wd.path().join(MODULE));
    wd
}

/// `terraform -chdir=<dir> <args>`, killed (and the test failed) after `limit`.
fn tf_in(wd: &WorkDir, dir: &str, args: &[&str], limit: Duration) -> Run {
    use std::io::Read;
    let chdir = format!("-chdir={dir}");
    let mut all = vec![chdir.as_str()];
    all.extend_from_slice(args);
    let mut child = wd.command(&all).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run terraform");
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait().expect("wait for terraform") {
            Some(status) => break Some(status),
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    let run = Run {
        code: status.and_then(|s| s.code()).unwrap_or(-1),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    };
    assert!(
        status.is_some(),
        "terraform {} in {dir} did not finish within {limit:?} on {}:\n{}",
        args.join(" "),
        wd.tf.version,
        run.combined()
    );
    run
}

/// Like [`tf_in`], requiring success; prints how long it took.
fn tf_ok(wd: &WorkDir, dir: &str, args: &[&str], limit: Duration) -> Run {
    let started = Instant::now();
    let run = tf_in(wd, dir, args, limit);
    assert_eq!(run.code, 0, "terraform {} in {dir} failed on {}:\n{}", args.join(" "), wd.tf.version, run.combined());
    eprintln!("[{}] terraform {} in {dir}: {:.1} s", wd.tf.version, args.join(" "), started.elapsed().as_secs_f64());
    run
}

const QUICK: Duration = Duration::from_secs(300);
const SLOW: Duration = Duration::from_secs(1200);

/// The oldest Terraform the module and the example accept (their
/// `required_version`): `replace_triggered_by` arrived in 1.2 and
/// `terraform_data` in 1.4.
const MIN_TERRAFORM: (u32, u32) = (1, 4);

#[test]
fn example_and_module_validate_and_are_formatted_on_every_terraform() {
    let _serial = serial();
    for tf in terraforms() {
        let wd = workdir(&tf, &[]);
        // Every OpenTofu release has both (it forked from Terraform 1.6).
        if !tf.is_opentofu() && tf.minor() < MIN_TERRAFORM {
            // Older ones must refuse them at init: by the version constraint,
            // or (before 1.2) at the lifecycle argument they do not know.
            for dir in [MODULE, EXAMPLE] {
                let r = tf_in(&wd, dir, &["init", "-input=false", "-no-color", "-backend=false"], QUICK);
                let out = r.combined();
                let named =
                    if tf.minor() < (1, 2) { "replace_triggered_by" } else { "Unsupported Terraform Core version" };
                assert!(
                    r.code != 0 && out.contains(named),
                    "{dir} on {}: init must refuse a Terraform older than {MIN_TERRAFORM:?}, naming {named:?}:\n{out}",
                    tf.version
                );
            }
            eprintln!("[{}] init refuses the module and the example, as it must", tf.version);
            continue;
        }
        for dir in [MODULE, EXAMPLE] {
            tf_ok(&wd, dir, &["init", "-input=false", "-no-color", "-backend=false"], QUICK);
            let r = tf_ok(&wd, dir, &["validate", "-no-color"], QUICK);
            assert!(r.stdout.contains("The configuration is valid"), "{dir} on {}:\n{}", tf.version, r.combined());
        }
        for dir in [MODULE, EXAMPLE] {
            let r = tf_in(&wd, dir, &["fmt", "-check", "-recursive", "-diff", "-no-color"], QUICK);
            assert_eq!(
                r.code,
                0,
                "terraform fmt -check in {dir} on {} found unformatted files:\n{}",
                tf.version,
                r.combined()
            );
        }
    }
}

#[test]
fn module_tests_pass_on_terraform_with_mock_providers() {
    let _serial = serial();
    let mut ran = 0;
    for tf in terraforms() {
        if !tf.has_mock_providers() {
            eprintln!(
                "skipping `terraform test` of {MODULE} on Terraform {}: mock_provider needs Terraform 1.7 or newer",
                tf.version
            );
            continue;
        }
        if tf.is_opentofu() {
            // The module's test files are written for `terraform test`;
            // `tofu test` (1.12.6) reads them differently: the assertions of
            // the run with `plan_options { replace = [...] }` fail to evaluate
            // ("There is no variable named \"output\""), and its mock AWS
            // provider fills computed ARNs with random strings that the real
            // provider's validation refuses when the test destroys ("is an
            // invalid ARN"). The module itself validates on OpenTofu (above).
            eprintln!(
                "skipping `tofu test` of {MODULE} on {}: the test files are written for `terraform test`",
                tf.label()
            );
            continue;
        }
        // The kubeadm provider's S3 client is configured (never used) in the plan tests.
        let env = [
            ("AWS_ACCESS_KEY_ID".to_string(), "testing".to_string()),
            ("AWS_SECRET_ACCESS_KEY".to_string(), "testing".to_string()),
            ("AWS_EC2_METADATA_DISABLED".to_string(), "true".to_string()),
        ];
        let wd = workdir(&tf, &env);
        tf_ok(&wd, MODULE, &["init", "-input=false", "-no-color", "-backend=false"], QUICK);
        let r = tf_in(&wd, MODULE, &["test", "-no-color"], QUICK);
        let out = r.combined();
        assert_eq!(r.code, 0, "terraform test of {MODULE} failed on {}:\n{out}", tf.version);
        let passed =
            out.lines().filter(|l| l.trim_start().starts_with("run \"") && l.trim_end().ends_with("... pass")).count();
        assert!(
            passed >= 10 && out.contains(" 0 failed") && !out.contains("... fail"),
            "on {}: expected every run to pass:\n{out}",
            tf.version
        );
        eprintln!("[{}] terraform test of {MODULE}: {passed} runs passed", tf.version);
        // The local store of the apply test is emptied by the test's destroy.
        let mut left = Vec::new();
        collect_files(&wd.path().join(MODULE).join(".kubeadm-tftest"), &mut left);
        assert!(left.is_empty(), "terraform test left configs behind: {left:?}");
        ran += 1;
    }
    assert!(ran > 0, "no Terraform 1.7 or newer found: the module tests never ran");
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// A boto3 client for `service` on the moto server, as Python source.
fn client(moto: &Moto, service: &str) -> String {
    format!(
        "boto3.client('{service}', endpoint_url='{}', region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')",
        moto.endpoint()
    )
}

/// A moto server, a working directory whose commands reach it, and an AMI
/// moto knows.
fn on_moto(tf: &Terraform) -> (Moto, WorkDir, String) {
    let moto = Moto::start();
    let wd = workdir(tf, &moto.provider_env());
    let ami = moto.boto3(&format!(
        "ec2 = {}\nprint(ec2.describe_images(Owners=['amazon'])['Images'][0]['ImageId'])",
        client(&moto, "ec2")
    ));
    (moto, wd, ami)
}

/// A pointer config as the instance's user data holds it, checked: a
/// presigned http URL on moto for `object_key`, and the config's SHA-512
/// (`None`: a stable pointer, which has none).
fn check_pointer(user_data: &str, moto: &Moto, object_key: &str, sha512: Option<&str>, what: &str) {
    let pointer: Value =
        serde_json::from_str(user_data).unwrap_or_else(|e| panic!("{what}: user data is not JSON ({e}): {user_data}"));
    let replace = &pointer["ignition"]["config"]["replace"];
    let source = replace["source"].as_str().unwrap_or_default();
    let prefix = format!("{}/{BUCKET}/{object_key}?", moto.endpoint());
    assert!(source.starts_with(&prefix), "{what}: source {source} does not start with {prefix}");
    assert!(source.contains("X-Amz-Signature="), "{what}: not a presigned URL: {source}");
    match sha512 {
        Some(sha512) => {
            assert_eq!(replace["verification"]["hash"], format!("sha512-{sha512}"), "{what}: wrong verification hash")
        }
        None => assert!(replace.get("verification").is_none(), "{what}: a stable pointer carries no hash: {user_data}"),
    }
    assert!(user_data.len() < 2048, "{what}: user data is {} bytes, not a small pointer", user_data.len());
}

/// What a node booted from `user_data` ends up with: its kubeadm documents
/// (kind → document), whether it holds the CA key.
struct Booted {
    docs: Vec<Value>,
    has_ca_key: bool,
}

impl Booted {
    fn kind(&self, kind: &str) -> Option<&Value> {
        self.docs.iter().find(|d| d["kind"] == kind)
    }
}

fn boot(user_data: &str, what: &str) -> Booted {
    let run = run_engine(user_data, &ALL_STAGES);
    assert!(run.ok, "{what}: Ignition failed:\n{}", run.log_tail());
    assert!(run.log.contains("GET result: OK"), "{what}: the config was not fetched:\n{}", run.log_tail());
    let root = run.root();
    let yaml = std::fs::read_to_string(root.join(CONFIG_PATH.trim_start_matches('/')))
        .unwrap_or_else(|e| panic!("{what}: {CONFIG_PATH}: {e}"));
    // A kubeadm configuration the crate's strict types accept...
    kubeadm::parse_documents(&yaml)
        .unwrap_or_else(|e| panic!("{what}: {CONFIG_PATH} is not valid kubeadm: {e}\n{yaml}"));
    // ...read generically for the checks.
    let docs: Vec<Value> = serde_yaml_ng::Deserializer::from_str(&yaml)
        .map(|d| <Value as serde::Deserialize>::deserialize(d).expect("YAML document"))
        .filter(|v| !v.is_null())
        .collect();
    let key = root.join(CA_KEY.trim_start_matches('/'));
    let has_ca_key = key.is_file();
    if has_ca_key {
        assert_eq!(mode_of(&root, CA_KEY), 0o600, "{what}: {CA_KEY} must be 0600");
    }
    Booted { docs, has_ca_key }
}

#[test]
fn example_applies_on_moto_and_its_nodes_boot() {
    let _serial = serial();
    let tf = terraforms().into_iter().last().expect("a Terraform");
    let started = Instant::now();
    let (moto, wd, ami) = on_moto(&tf);
    let vars = serde_json::json!({
        "region": "us-east-1",
        "aws_endpoint": moto.endpoint(),
        "cluster_name": CLUSTER,
        "store_bucket": BUCKET,
        "store_bucket_tls_only": false,
        "presigned_user_data": true,
        "presign_ttl": "1h",
        "ami_id": ami,
        "control_plane_instance_type": "t3.medium",
        "worker_instance_type": "t3.medium",
        "worker_count": { "min": 1, "desired": 2, "max": 3 },
        "availability_zone_count": 2,
        // No API server answers on moto.
        "wait_for_health": false,
    });
    std::fs::write(wd.path().join(EXAMPLE).join("terraform.tfvars.json"), vars.to_string()).unwrap();

    tf_ok(&wd, EXAMPLE, &["init", "-input=false", "-no-color"], QUICK);
    tf_ok(&wd, EXAMPLE, &["apply", "-auto-approve", "-input=false", "-no-color"], SLOW);
    let r = tf_in(&wd, EXAMPLE, &["plan", "-detailed-exitcode", "-input=false", "-no-color"], SLOW);
    assert_eq!(r.code, 0, "the plan after apply is not empty:\n{}", r.combined());
    eprintln!("[{}] second plan empty", tf.version);

    let show = tf_ok(&wd, EXAMPLE, &["show", "-json", "-no-color"], QUICK);
    let state = State::parse(show.stdout.as_bytes());
    let configs = state.output("node_configs");
    let token = state.str("module.cluster.kubeadm_bootstrap_token.this", "token");
    let api_endpoint = state.output("api_endpoint").as_str().unwrap().to_string();
    let lb_dns = state.str("module.cluster.aws_lb.api", "dns_name");
    assert_eq!(api_endpoint, format!("{lb_dns}:6443"));
    let key_of = |name: &str| {
        let url = configs[name]["object_url"].as_str().unwrap_or_else(|| panic!("no config {name}: {configs}"));
        url.strip_prefix(&format!("s3://{BUCKET}/")).unwrap_or_else(|| panic!("{url} is not in {BUCKET}")).to_string()
    };
    let sha_of = |name: &str| configs[name]["rendered_sha512"].as_str().unwrap().to_string();
    let roles: Vec<(String, String)> = ["cp-0", "cp-1", "cp-2", "workers"]
        .iter()
        .map(|n| (n.to_string(), configs[*n]["role"].as_str().unwrap_or_default().to_string()))
        .collect();
    assert_eq!(
        roles,
        [("cp-0", "init"), ("cp-1", "control-plane"), ("cp-2", "control-plane"), ("workers", "worker")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
    );

    // The objects, independently: four configs, encrypted, with their hashes.
    let objects = moto.boto3(&format!(
        "out = {{}}\nfor o in s3.list_objects_v2(Bucket='{BUCKET}').get('Contents', []):\n    h = s3.head_object(Bucket='{BUCKET}', Key=o['Key'])\n    out[o['Key']] = [h.get('ServerSideEncryption'), h['Metadata'].get('sha512')]\nprint(json.dumps(out))"
    ));
    let objects: Value = serde_json::from_str(&objects).unwrap();
    assert_eq!(objects.as_object().unwrap().len(), 4, "{objects}");
    for name in ["cp-0", "cp-1", "cp-2", "workers"] {
        assert_eq!(objects[key_of(name)], serde_json::json!(["AES256", sha_of(name)]), "{name}: {objects}");
    }

    // The roles read exactly their objects.
    let policies = moto.boto3(&format!(
        "iam = {}\nprint(json.dumps({{r: iam.get_role_policy(RoleName='{CLUSTER}-' + r, PolicyName=p)['PolicyDocument'] for r, p in [('control-plane', 'read-ignition-configs'), ('worker', 'read-ignition-config')]}}))",
        client(&moto, "iam")
    ));
    let policies: Value = serde_json::from_str(&policies).unwrap();
    let resources = |role: &str| -> Vec<String> {
        let doc = match &policies[role] {
            Value::String(s) => serde_json::from_str(s).unwrap(),
            other => other.clone(),
        };
        let mut r: Vec<String> =
            doc["Statement"].as_array().unwrap().iter().map(|s| s["Resource"].as_str().unwrap().to_string()).collect();
        r.sort();
        r
    };
    let arn = |name: &str| format!("arn:aws:s3:::{BUCKET}/{}", key_of(name));
    let mut want = vec![arn("cp-0"), arn("cp-1"), arn("cp-2")];
    want.sort();
    assert_eq!(resources("control-plane"), want);
    assert_eq!(resources("worker"), vec![arn("workers")]);

    // Every control plane: its user data from EC2, booted by Ignition.
    let instance_ids: Vec<String> = state
        .output("control_plane_instance_ids")
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(instance_ids.len(), 3);
    let instances = moto.boto3(&format!(
        "import base64\nec2 = {}\nout = []\nfor i in {instance_ids:?}:\n    d = ec2.describe_instances(InstanceIds=[i])['Reservations'][0]['Instances'][0]\n    ud = ec2.describe_instance_attribute(InstanceId=i, Attribute='userData')['UserData']\n    out.append({{'state': d['State']['Name'], 'profile': d.get('IamInstanceProfile', {{}}).get('Arn'), 'user_data': base64.b64decode(ud['Value']).decode()}})\nprint(json.dumps(out))",
        client(&moto, "ec2")
    ));
    let instances: Value = serde_json::from_str(&instances).unwrap();
    for (i, instance) in instances.as_array().unwrap().iter().enumerate() {
        let name = format!("cp-{i}");
        assert_eq!(instance["state"], "running", "{name}");
        assert!(
            instance["profile"]
                .as_str()
                .is_some_and(|p| p.ends_with(&format!(":instance-profile/{CLUSTER}-control-plane"))),
            "{name}: {instance}"
        );
        let user_data = instance["user_data"].as_str().unwrap();
        check_pointer(user_data, &moto, &key_of(&name), Some(&sha_of(&name)), &name);
        let node = boot(user_data, &name);
        assert!(node.has_ca_key, "{name}: control planes carry the CA key");
        let join = node.kind("JoinConfiguration");
        if i == 0 {
            let init = node.kind("InitConfiguration").unwrap_or_else(|| panic!("{name}: no InitConfiguration"));
            // It may carry the control-plane join it takes when its cluster already answers.
            if let Some(join) = join {
                assert!(join.get("controlPlane").is_some(), "{name}: the init node may only join as a control plane");
                assert_eq!(join["discovery"]["bootstrapToken"]["token"], token, "{name}");
            }
            assert_eq!(init["bootstrapTokens"][0]["token"], token, "{name}: the join token is not seeded");
            let cluster = node.kind("ClusterConfiguration").expect("ClusterConfiguration");
            assert_eq!(cluster["controlPlaneEndpoint"], api_endpoint.as_str(), "{name}");
            assert_eq!(cluster["clusterName"], CLUSTER, "{name}");
        } else {
            let join = join.unwrap_or_else(|| panic!("{name}: no JoinConfiguration"));
            assert!(node.kind("InitConfiguration").is_none(), "{name}");
            assert!(join.get("controlPlane").is_some(), "{name}: joins without controlPlane");
            assert_eq!(join["discovery"]["bootstrapToken"]["apiServerEndpoint"], api_endpoint.as_str(), "{name}");
            assert_eq!(join["discovery"]["bootstrapToken"]["token"], token, "{name}");
        }
        eprintln!("[{}] {name} ({}) booted from its presigned pointer", tf.version, instance_ids[i]);
    }

    // The API load balancer: a network load balancer with its own security
    // group, forwarding to the three control planes without client IP
    // preservation.
    let lb = moto.boto3(&format!(
        "elb = {}\nlb = elb.describe_load_balancers(Names=['{CLUSTER}-api'])['LoadBalancers'][0]\ntg = elb.describe_target_groups(Names=['{CLUSTER}-api'])['TargetGroups'][0]\nattrs = {{a['Key']: a['Value'] for a in elb.describe_target_group_attributes(TargetGroupArn=tg['TargetGroupArn'])['Attributes']}}\nlisteners = elb.describe_listeners(LoadBalancerArn=lb['LoadBalancerArn'])['Listeners']\nprint(json.dumps({{'type': lb['Type'], 'security_groups': lb.get('SecurityGroups', []), 'listeners': [[l['Port'], l['Protocol']] for l in listeners], 'preserve_client_ip': attrs.get('preserve_client_ip.enabled'), 'targets': sorted(t['Target']['Id'] for t in elb.describe_target_health(TargetGroupArn=tg['TargetGroupArn'])['TargetHealthDescriptions'])}}))",
        client(&moto, "elbv2")
    ));
    let lb: Value = serde_json::from_str(&lb).unwrap();
    let mut want = instance_ids.clone();
    want.sort();
    assert_eq!(lb["type"], "network", "{lb}");
    assert_eq!(lb["listeners"], serde_json::json!([[6443, "TCP"]]), "{lb}");
    assert_eq!(lb["preserve_client_ip"], "false", "{lb}");
    assert_eq!(
        lb["security_groups"],
        serde_json::json!([state.str("module.cluster.aws_security_group.api_lb", "id")]),
        "{lb}"
    );
    assert_eq!(lb["targets"], serde_json::json!(want), "{lb}");

    // The workers: the launch template's user data, and the group's instances.
    let template_id = state.output("worker_launch_template_id").as_str().unwrap().to_string();
    let workers = moto.boto3(&format!(
        "import base64\nec2 = {ec2}\nasg = {asg}\nv = ec2.describe_launch_template_versions(LaunchTemplateId='{template_id}', Versions=['$Latest'])['LaunchTemplateVersions'][0]['LaunchTemplateData']\ng = asg.describe_auto_scaling_groups(AutoScalingGroupNames=['{CLUSTER}-worker'])['AutoScalingGroups'][0]\nuds = sorted(set(base64.b64decode(ec2.describe_instance_attribute(InstanceId=i['InstanceId'], Attribute='userData')['UserData']['Value']).decode() for i in g['Instances']))\nprint(json.dumps({{'user_data': base64.b64decode(v['UserData']).decode(), 'profile': v.get('IamInstanceProfile', {{}}).get('Arn'), 'sizes': [g['MinSize'], g['DesiredCapacity'], g['MaxSize']], 'instances': len(g['Instances']), 'instance_user_data': uds}}))",
        ec2 = client(&moto, "ec2"),
        asg = client(&moto, "autoscaling"),
    ));
    let workers: Value = serde_json::from_str(&workers).unwrap();
    assert_eq!(workers["sizes"], serde_json::json!([1, 2, 3]), "{workers}");
    assert_eq!(workers["instances"], 2, "{workers}");
    assert!(
        workers["profile"].as_str().is_some_and(|p| p.ends_with(&format!(":instance-profile/{CLUSTER}-worker"))),
        "{workers}"
    );
    let user_data = workers["user_data"].as_str().unwrap();
    assert_eq!(
        workers["instance_user_data"],
        serde_json::json!([user_data]),
        "the group's instances boot from the template"
    );
    // The workers' config is stable: one key, no hash; Ignition boots it as served.
    assert_eq!(key_of("workers"), format!("ignition/{CLUSTER}/worker/workers.ign"));
    check_pointer(user_data, &moto, &key_of("workers"), None, "workers");
    let node = boot(user_data, "workers");
    assert!(!node.has_ca_key, "a worker must not get the CA key");
    assert!(node.kind("InitConfiguration").is_none() && node.kind("ClusterConfiguration").is_none());
    let join = node.kind("JoinConfiguration").expect("workers: no JoinConfiguration");
    assert!(join.get("controlPlane").is_none(), "a worker joins without controlPlane: {join}");
    assert_eq!(join["discovery"]["bootstrapToken"]["apiServerEndpoint"], api_endpoint.as_str());
    assert_eq!(join["discovery"]["bootstrapToken"]["token"], token);
    let hash = state.output("ca_cert_hash");
    assert_eq!(join["discovery"]["bootstrapToken"]["caCertHashes"][0], hash, "workers pin the CA hash");
    eprintln!("[{}] workers booted from the launch template's presigned pointer", tf.version);

    // Destroy: the objects and the bucket go, the instances terminate.
    tf_ok(&wd, EXAMPLE, &["destroy", "-auto-approve", "-input=false", "-no-color"], SLOW);
    let after = tf_ok(&wd, EXAMPLE, &["show", "-json", "-no-color"], QUICK);
    let left = State::parse(after.stdout.as_bytes());
    assert!(left.resources.is_empty(), "left in state after destroy: {:?}", left.resources.keys());
    let buckets = moto.boto3("print(json.dumps([b['Name'] for b in s3.list_buckets().get('Buckets', [])]))");
    assert!(!buckets.contains(BUCKET), "the bucket is still there: {buckets}");
    let states = moto.boto3(&format!(
        "ec2 = {}\nprint(json.dumps(sorted(set(i['State']['Name'] for r in ec2.describe_instances()['Reservations'] for i in r['Instances']))))",
        client(&moto, "ec2")
    ));
    assert_eq!(states, r#"["terminated"]"#, "instances still alive after destroy");
    eprintln!("[{}] example applied, booted and destroyed in {:.0} s", tf.version, started.elapsed().as_secs_f64());
}

/// The planned changes in a saved plan: address → (type, actions, change).
fn plan_changes(wd: &WorkDir, plan_file: &str) -> Vec<(String, String, Vec<String>, Value)> {
    let show = tf_ok(wd, EXAMPLE, &["show", "-json", "-no-color", plan_file], QUICK);
    let plan: Value = serde_json::from_str(&show.stdout).expect("plan JSON");
    plan["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .map(|c| {
            let actions = c["change"]["actions"].as_array().into_iter().flatten();
            (
                c["address"].as_str().unwrap_or_default().to_string(),
                c["type"].as_str().unwrap_or_default().to_string(),
                actions.filter_map(|a| a.as_str()).map(str::to_string).collect(),
                c["change"].clone(),
            )
        })
        .collect()
}

/// The kubeadm YAML an Ignition config ships at [`CONFIG_PATH`].
fn shipped_kubeadm_config(ignition: &[u8]) -> String {
    use base64::Engine;
    let json: Value = serde_json::from_slice(ignition).expect("an Ignition config");
    let source = json["storage"]["files"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["path"] == CONFIG_PATH)
        .and_then(|f| f["contents"]["source"].as_str())
        .unwrap_or_else(|| panic!("no {CONFIG_PATH} in the stored config"));
    let data = source.strip_prefix("data:;base64,").unwrap_or_else(|| panic!("{CONFIG_PATH} is not inline: {source}"));
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(data).expect("base64")).expect("UTF-8")
}

/// The workers' launch template as moto holds it: latest version number
/// and user data (decoded).
fn launch_template(moto: &Moto, id: &str) -> (i64, String) {
    let out = moto.boto3(&format!(
        "import base64\nec2 = {}\nv = ec2.describe_launch_template_versions(LaunchTemplateId='{id}', Versions=['$Latest'])['LaunchTemplateVersions'][0]\nprint(json.dumps([v['VersionNumber'], base64.b64decode(v['LaunchTemplateData']['UserData']).decode()]))",
        client(moto, "ec2")
    ));
    let v: Value = serde_json::from_str(&out).unwrap();
    (v[0].as_i64().unwrap(), v[1].as_str().unwrap().to_string())
}

#[test]
fn token_rotation_leaves_machines_alone_on_moto() {
    let _serial = serial();
    let tf = terraforms().into_iter().last().expect("a Terraform");
    let started = Instant::now();
    let (moto, wd, ami) = on_moto(&tf);
    let vars = |worker_mode: &str| {
        let v = serde_json::json!({
            "region": "us-east-1",
            "aws_endpoint": moto.endpoint(),
            "cluster_name": CLUSTER,
            "store_bucket": BUCKET,
            "store_bucket_tls_only": false,
            "ami_id": ami,
            "control_plane_instance_type": "t3.medium",
            "worker_instance_type": "t3.medium",
            "worker_count": { "min": 1, "desired": 1, "max": 2 },
            "availability_zone_count": 2,
            "worker_user_data_mode": worker_mode,
            "wait_for_health": false,
        });
        std::fs::write(wd.path().join(EXAMPLE).join("terraform.tfvars.json"), v.to_string()).unwrap();
    };
    let token = "module.cluster.kubeadm_bootstrap_token.this";
    let rotate = format!("-replace={token}");
    let machines = ["aws_instance", "aws_launch_template", "aws_autoscaling_group"];
    let state =
        |wd: &WorkDir| State::parse(tf_ok(wd, EXAMPLE, &["show", "-json", "-no-color"], QUICK).stdout.as_bytes());

    vars("stable");
    tf_ok(&wd, EXAMPLE, &["init", "-input=false", "-no-color"], QUICK);
    tf_ok(&wd, EXAMPLE, &["apply", "-auto-approve", "-input=false", "-no-color"], SLOW);
    let before = state(&wd);
    let worker = "module.cluster.kubeadm_ignition_config.worker";
    let key = before.str(worker, "object_url").strip_prefix(&format!("s3://{BUCKET}/")).unwrap().to_string();
    assert_eq!(key, format!("ignition/{CLUSTER}/worker/workers.ign"), "the workers' stable key");
    let template_id = before.output("worker_launch_template_id").as_str().unwrap().to_string();
    let (version, user_data) = launch_template(&moto, &template_id);
    assert_eq!(user_data, before.str(worker, "user_data"), "the template carries the worker pointer");
    let instances = before.output("control_plane_instance_ids");
    let old_token = before.str(token, "token");
    let get = |key: &str| {
        moto.boto3(&format!(
            "import base64\nprint(base64.b64encode(s3.get_object(Bucket='{BUCKET}', Key='{key}')['Body'].read()).decode())"
        ))
    };
    let object = |key: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.decode(get(key)).expect("base64 from boto3")
    };
    assert!(shipped_kubeadm_config(&object(&key)).contains(&old_token));

    // The rotation's plan: node configs re-render, no machine changes.
    tf_ok(&wd, EXAMPLE, &["plan", "-input=false", "-no-color", &rotate, "-out=rotate.tfplan"], SLOW);
    let changes = plan_changes(&wd, "rotate.tfplan");
    let changed: Vec<String> = changes
        .iter()
        .filter(|(_, _, actions, _)| actions.as_slice() != ["no-op"] && actions.as_slice() != ["read"])
        .map(|(address, _, actions, _)| format!("{address} {actions:?}"))
        .collect();
    for (address, ty, actions, _) in &changes {
        if machines.contains(&ty.as_str()) {
            assert_eq!(actions, &["no-op"], "{address} changes on a token rotation: {changed:#?}");
        }
        if ty == "terraform_data" {
            assert_eq!(actions, &["no-op"], "{address}: a rotation is not a new config generation: {changed:#?}");
        }
    }
    let (_, _, actions, change) = changes.iter().find(|c| c.0 == worker).expect("the worker config in the plan");
    assert_eq!(actions, &["update"], "{changed:#?}");
    assert_eq!(change["after"]["user_data"], user_data.as_str(), "the worker's user_data must stay known and equal");
    for cp in ["module.cluster.kubeadm_ignition_config.init", "module.cluster.kubeadm_ignition_config.control_plane[0]"]
    {
        let (_, _, actions, _) = changes.iter().find(|c| c.0 == cp).expect("a control-plane config");
        assert_eq!(actions, &["update"], "{cp} re-renders with the new token: {changed:#?}");
    }
    eprintln!("[{}] rotation plan: {changed:#?}", tf.version);

    tf_ok(&wd, EXAMPLE, &["apply", "-input=false", "-no-color", "rotate.tfplan"], SLOW);
    let after = state(&wd);
    let new_token = after.str(token, "token");
    assert_ne!(new_token, old_token);
    let shipped = shipped_kubeadm_config(&object(&key));
    assert!(shipped.contains(&new_token) && !shipped.contains(&old_token), "the stable object: {shipped}");
    assert_eq!(launch_template(&moto, &template_id), (version, user_data.clone()), "the launch template changed");
    assert_eq!(after.output("control_plane_instance_ids"), instances, "control planes were replaced");
    let r = tf_in(&wd, EXAMPLE, &["plan", "-detailed-exitcode", "-input=false", "-no-color"], SLOW);
    assert_eq!(r.code, 0, "the plan after the rotation is not empty:\n{}", r.combined());
    eprintln!("[{}] rotated: the stable object holds the new token, user data byte-identical", tf.version);

    // The control: pinned worker configs change the launch template on a rotation.
    vars("pinned");
    tf_ok(&wd, EXAMPLE, &["apply", "-auto-approve", "-input=false", "-no-color"], SLOW);
    let pinned = state(&wd);
    let pinned_key = pinned.str(worker, "object_url").strip_prefix(&format!("s3://{BUCKET}/")).unwrap().to_string();
    assert_ne!(pinned_key, key, "switching the mode moves the object");
    let keys = moto.boto3(&format!(
        "print(json.dumps(sorted(o['Key'] for o in s3.list_objects_v2(Bucket='{BUCKET}').get('Contents', []))))"
    ));
    assert!(keys.contains(&pinned_key) && !keys.contains(&format!("\"{key}\"")), "{keys}");
    tf_ok(&wd, EXAMPLE, &["plan", "-input=false", "-no-color", &rotate, "-out=control.tfplan"], SLOW);
    let changes = plan_changes(&wd, "control.tfplan");
    let template = changes.iter().find(|c| c.1 == "aws_launch_template").expect("the launch template");
    assert_eq!(template.2, ["update"], "pinned workers: a rotation must change the launch template");
    for (address, ty, actions, _) in &changes {
        if ty == "aws_instance" {
            assert_eq!(actions, &["no-op"], "{address}: control planes ignore their user data");
        }
    }

    tf_ok(&wd, EXAMPLE, &["destroy", "-auto-approve", "-input=false", "-no-color"], SLOW);
    let buckets = moto.boto3("print(json.dumps([b['Name'] for b in s3.list_buckets().get('Buckets', [])]))");
    assert!(!buckets.contains(BUCKET), "the bucket is still there: {buckets}");
    eprintln!("[{}] token rotation on moto checked in {:.0} s", tf.version, started.elapsed().as_secs_f64());
}
