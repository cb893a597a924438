//! `kubeadm_ignition_config` on the S3 store, against a moto server the test
//! starts, on every Terraform found: stored with the requested encryption,
//! empty plans, out-of-band deletion and overwrite repaired, destroy cleans up.

mod support;

use support::{config, terraforms, Moto, WorkDir};

fn body(moto: &Moto, bucket: &str, sse: &str) -> String {
    format!(
        r#"
provider "kubeadm" {{
  store {{
    s3 {{
      bucket                 = "{bucket}"
      prefix                 = "ignition"
      region                 = "us-east-1"
      endpoint               = "{endpoint}"
      force_path_style       = true
      {sse}
    }}
  }}
}}

resource "kubeadm_cluster_ca" "ca" {{
  cluster_name  = "prod"
  key_algorithm = "ECDSA-P256"
}}

resource "kubeadm_bootstrap_token" "join" {{}}

resource "kubeadm_ignition_config" "w" {{
  role            = "worker"
  name            = "pool-a"
  cluster_ca      = kubeadm_cluster_ca.ca
  bootstrap_token = kubeadm_bootstrap_token.join
  cluster {{
    name                   = "prod"
    kubernetes_version     = "v1.31.4"
    control_plane_endpoint = "api.prod.example.com:6443"
  }}
}}
"#,
        endpoint = moto.endpoint()
    )
}

const W: &str = "kubeadm_ignition_config.w";

#[test]
fn stored_encrypted_restored_and_removed() {
    for tf in terraforms() {
        let moto = Moto::start();
        for (bucket, sse, want) in [
            ("aes-bucket", "", "AES256"),
            ("kms-bucket", "server_side_encryption = \"aws:kms\"\n      kms_key_id = \"alias/bootstrap\"", "aws:kms"),
        ] {
            moto.boto3(&format!("s3.create_bucket(Bucket='{bucket}')"));
            let mut wd = WorkDir::new(&tf);
            wd.provider_env = moto.provider_env();
            wd.write_config(&config(&body(&moto, bucket, sse)));
            wd.init();
            wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
            let s = wd.state();
            let key = format!("ignition/{}", s.str(W, "id"));
            assert_eq!(s.str(W, "object_url"), format!("s3://{bucket}/{key}"), "on {}", tf.version);

            // Independently: the object, its encryption, type and hash.
            let head = moto.boto3(&format!(
                "h = s3.head_object(Bucket='{bucket}', Key='{key}')\nprint(json.dumps({{'sse': h.get('ServerSideEncryption'), 'ct': h.get('ContentType'), 'sha': h.get('Metadata', {{}}).get('sha512')}}))"
            ));
            let head: serde_json::Value = serde_json::from_str(&head).unwrap();
            assert_eq!(head["sse"], want, "encryption on {}", tf.version);
            assert_eq!(head["ct"], "application/vnd.coreos.ignition+json");
            assert_eq!(head["sha"], s.str(W, "rendered_sha512"));

            // user_data points at s3:// with the hash and holds no secret.
            let ud: serde_json::Value = serde_json::from_str(&s.str(W, "user_data")).unwrap();
            assert_eq!(ud["ignition"]["config"]["replace"]["source"], format!("s3://{bucket}/{key}"));
            assert!(!s.str(W, "user_data").contains(&s.str("kubeadm_bootstrap_token.join", "token_secret")));
            let policy: serde_json::Value = serde_json::from_str(&s.str(W, "read_policy_json")).unwrap();
            assert!(policy.to_string().contains(&format!("arn:aws:s3:::{bucket}/{key}")), "{policy}");
            assert_eq!(policy.to_string().contains("kms:Decrypt"), want == "aws:kms", "{policy}");

            let (empty, out) = wd.plan_is_empty(&[]);
            assert!(empty, "plan after apply not empty on {}:\n{out}", tf.version);

            // Deleted out of band: the plan re-creates it, apply restores it.
            moto.boto3(&format!("s3.delete_object(Bucket='{bucket}', Key='{key}')"));
            let (empty, _) = wd.plan_is_empty(&[]);
            assert!(!empty, "a deleted object must show in the plan on {}", tf.version);
            wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
            let sha =
                moto.boto3(&format!("print(s3.head_object(Bucket='{bucket}', Key='{key}')['Metadata'].get('sha512'))"));
            assert_eq!(sha, s.str(W, "rendered_sha512"), "not restored on {}", tf.version);

            // Overwritten out of band: detected and repaired.
            moto.boto3(&format!("s3.put_object(Bucket='{bucket}', Key='{key}', Body=b'{{}}')"));
            let (empty, _) = wd.plan_is_empty(&[]);
            assert!(!empty, "an overwritten object must show in the plan on {}", tf.version);
            wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
            let body_sha = moto.boto3(&format!(
                "import hashlib\nprint(hashlib.sha512(s3.get_object(Bucket='{bucket}', Key='{key}')['Body'].read()).hexdigest())"
            ));
            assert_eq!(body_sha, s.str(W, "rendered_sha512"), "not repaired on {}", tf.version);
            let (empty, out) = wd.plan_is_empty(&[]);
            assert!(empty, "plan after repair not empty on {}:\n{out}", tf.version);

            wd.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
            let left = moto.boto3(&format!("print(s3.list_objects_v2(Bucket='{bucket}').get('KeyCount', 0))"));
            assert_eq!(left, "0", "destroy left objects on {}", tf.version);
        }
    }
}

#[test]
fn missing_bucket_is_a_clear_error() {
    let tf = terraforms().into_iter().last().unwrap();
    let moto = Moto::start();
    let mut wd = WorkDir::new(&tf);
    wd.provider_env = moto.provider_env();
    wd.write_config(&config(&body(&moto, "no-such-bucket", "")));
    wd.init();
    let r = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_ne!(r.code, 0);
    let out = r.combined();
    for needle in ["no-such-bucket", "NoSuchBucket"] {
        assert!(out.contains(needle), "error lacks {needle:?}:\n{out}");
    }
    // Nothing recorded for the node that failed.
    let s = wd.state();
    assert!(!s.resources.contains_key(W), "a failed create was recorded");
}

#[test]
fn version_manifest_is_read_from_s3() {
    let tf = terraforms().into_iter().last().unwrap();
    let moto = Moto::start();
    moto.boto3("s3.create_bucket(Bucket='cfg')\ns3.create_bucket(Bucket='artifacts')");
    let sha = "ab".repeat(64);
    moto.boto3(&format!(
        "m = {{'kubernetesVersion': 'v1.31.4', 'files': [{{'name': 'kubeadm', 'url': 'kubeadm', 'sha512': '{sha}'}}, {{'name': 'kubelet', 'url': 'kubelet', 'sha512': '{sha}'}}]}}\ns3.put_object(Bucket='artifacts', Key='k8s/v1.31.4/manifest.json', Body=json.dumps(m).encode())"
    ));
    let artifacts = |version: &str| {
        format!("kubernetes_artifacts {{\n    source = \"manifest\"\n    manifest_url = \"s3://artifacts/k8s/{version}/manifest.json\"\n  }}")
    };
    let cfg = |version: &str| {
        config(&body(&moto, "cfg", "").replace("  cluster {{", "").replace(
            "resource \"kubeadm_ignition_config\" \"w\" {\n",
            &format!("resource \"kubeadm_ignition_config\" \"w\" {{\n  {}\n", artifacts(version)),
        ))
    };
    let mut wd = WorkDir::new(&tf);
    wd.provider_env = moto.provider_env();
    wd.write_config(&cfg("v1.31.4"));
    wd.init();
    wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let s = wd.state();
    let key = format!("ignition/{}", s.str(W, "id"));
    let stored = moto.boto3(&format!("print(s3.get_object(Bucket='cfg', Key='{key}')['Body'].read().decode())"));
    let stored: serde_json::Value = serde_json::from_str(&stored).unwrap();
    let files = stored["storage"]["files"].as_array().unwrap();
    let kubeadm = files.iter().find(|f| f["path"] == "/opt/bin/kubeadm").expect("kubeadm fetched at boot");
    assert_eq!(kubeadm["contents"]["source"], "s3://artifacts/k8s/v1.31.4/kubeadm");
    assert_eq!(kubeadm["contents"]["verification"]["hash"], format!("sha512-{sha}"));
    let (empty, out) = wd.plan_is_empty(&[]);
    assert!(empty, "plan not empty:\n{out}");
    wd.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);

    // A version without a manifest is a plan-time error naming the URL.
    let wd2 = {
        let mut w = WorkDir::new(&tf);
        w.provider_env = moto.provider_env();
        w
    };
    wd2.write_config(
        &cfg("v1.31.4")
            .replace("kubernetes_version     = \"v1.31.4\"", "kubernetes_version     = \"v1.31.5\"")
            .replace("k8s/v1.31.4/", "k8s/v1.31.5/"),
    );
    wd2.init();
    let r = wd2.run(&["plan", "-input=false", "-no-color"]);
    assert_ne!(r.code, 0);
    let flat = r.combined().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("Kubernetes v1.31.5 is not supported: no manifest at s3://artifacts/k8s/v1.31.5/manifest.json"),
        "{flat}"
    );
}
