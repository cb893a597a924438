//! `kubeadm_ignition_config` on the S3 store, against a moto server the test
//! starts, on every Terraform found: stored with the requested encryption,
//! empty plans, out-of-band deletion and overwrite repaired, destroy cleans up.

use crate::support;

use support::hcl::{s3_provider, Node, CA_AND_TOKEN};
use support::{config, terraforms, Moto, WorkDir};

/// The worker the store tests apply: `kubeadm_ignition_config.w`, pool-a.
fn worker() -> Node {
    Node::resource("w", "worker").attr("name", "\"pool-a\"")
}

/// `node` with its CA and token, stored in `bucket` under `ignition/` with
/// `sse` in the `s3` block.
fn body_with(moto: &Moto, bucket: &str, sse: &[(&str, &str)], node: Node) -> String {
    let mut s3 = vec![("prefix", "\"ignition\"")];
    s3.extend_from_slice(sse);
    let store = s3_provider(bucket, &moto.endpoint(), &s3);
    format!("{store}{CA_AND_TOKEN}{node}")
}

fn body(moto: &Moto, bucket: &str, sse: &[(&str, &str)]) -> String {
    body_with(moto, bucket, sse, worker())
}

const W: &str = "kubeadm_ignition_config.w";

#[test]
fn stored_encrypted_restored_and_removed() {
    for tf in terraforms() {
        let moto = Moto::start();
        for (bucket, sse, want) in [
            ("aes-bucket", &[][..], "AES256"),
            (
                "kms-bucket",
                &[("server_side_encryption", "\"aws:kms\""), ("kms_key_id", "\"alias/bootstrap\"")][..],
                "aws:kms",
            ),
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
    wd.write_config(&config(&body(&moto, "no-such-bucket", &[])));
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
        let node = worker().cluster("kubernetes_version", format!("{version:?}")).block(artifacts(version));
        config(&body_with(&moto, "cfg", &[], node))
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
    wd2.write_config(&cfg("v1.31.5"));
    wd2.init();
    let r = wd2.run(&["plan", "-input=false", "-no-color"]);
    assert_ne!(r.code, 0);
    let flat = r.combined().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("Kubernetes v1.31.5 is not supported: no manifest at s3://artifacts/k8s/v1.31.5/manifest.json"),
        "{flat}"
    );
}

/// The ETags kept in the private state of each node, by instance index.
fn private_etags(wd: &WorkDir) -> Vec<Option<String>> {
    use base64::Engine as _;
    let text = std::fs::read_to_string(wd.path().join("terraform.tfstate")).expect("state file");
    let state: serde_json::Value = serde_json::from_str(&text).expect("state JSON");
    let nodes = state["resources"].as_array().unwrap().iter().find(|r| r["type"] == "kubeadm_ignition_config");
    let mut etags = Vec::new();
    for instance in nodes.and_then(|r| r["instances"].as_array()).into_iter().flatten() {
        let private = instance["private"].as_str().unwrap_or_default();
        let bytes = base64::engine::general_purpose::STANDARD.decode(private).unwrap_or_default();
        let entries: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        etags.push(entries["etag"].as_str().map(str::to_string));
    }
    etags
}

/// Object HEADs and bucket listings among recorded requests.
fn heads_and_lists(requests: &[support::Recorded]) -> (usize, usize) {
    let heads = requests.iter().filter(|r| r.method == "HEAD" && r.target.contains("/worker/")).count();
    let lists = requests.iter().filter(|r| r.method == "GET" && r.target.contains("list-type=2")).count();
    (heads, lists)
}

#[test]
fn refresh_confirms_nodes_from_one_listing() {
    const NODES: usize = 6;
    for tf in terraforms() {
        let moto = Moto::start();
        moto.boto3("s3.create_bucket(Bucket='pool')");
        let mut wd = WorkDir::new(&tf);
        wd.provider_env = moto.provider_env();
        let node = worker().attr("count", NODES.to_string()).attr("name", "\"pool-a-${count.index}\"");
        let body = body_with(&moto, "pool", &[], node);
        wd.write_config(&config(&body));
        wd.init();
        wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        let etags = private_etags(&wd);
        assert_eq!(etags.len(), NODES);
        assert!(etags.iter().all(Option::is_some), "create keeps each object's ETag on {}: {etags:?}", tf.version);
        let key = |i: usize| format!("ignition/{}", wd.state().str(&format!("{W}[{i}]"), "id"));

        // Unchanged: one listing answers for every node, no HEAD.
        let ((empty, out), requests) = moto.record(|| wd.plan_is_empty(&[]));
        assert!(empty, "plan not empty on {}:\n{out}", tf.version);
        assert_eq!(heads_and_lists(&requests), (0, 1), "requests on {}: {requests:?}", tf.version);

        // Overwritten out of band: its ETag changed, so that one node is
        // checked with HEAD and the change shows; apply repairs it.
        let overwritten = key(2);
        moto.boto3(&format!("s3.put_object(Bucket='pool', Key='{overwritten}', Body=b'{{}}')"));
        let ((empty, _), requests) = moto.record(|| wd.plan_is_empty(&[]));
        assert!(!empty, "an overwritten object must show in the plan on {}", tf.version);
        assert_eq!(heads_and_lists(&requests), (1, 1), "requests on {}: {requests:?}", tf.version);
        wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        let body_sha = moto.boto3(&format!(
            "import hashlib\nprint(hashlib.sha512(s3.get_object(Bucket='pool', Key='{overwritten}')['Body'].read()).hexdigest())"
        ));
        assert_eq!(body_sha, wd.state().str(&format!("{W}[2]"), "rendered_sha512"), "not repaired on {}", tf.version);

        // Deleted out of band: missing from the listing, so gone; apply restores it.
        let deleted = key(4);
        moto.boto3(&format!("s3.delete_object(Bucket='pool', Key='{deleted}')"));
        let ((empty, _), requests) = moto.record(|| wd.plan_is_empty(&[]));
        assert!(!empty, "a deleted object must show in the plan on {}", tf.version);
        assert_eq!(heads_and_lists(&requests), (0, 1), "requests on {}: {requests:?}", tf.version);
        wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        let (empty, out) = wd.plan_is_empty(&[]);
        assert!(empty, "plan after repairs not empty on {}:\n{out}", tf.version);

        // A state without ETags (written before they were kept): each node is
        // checked with HEAD; a refresh records the ETags and listing takes over.
        let path = wd.path().join("terraform.tfstate");
        let mut state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for r in state["resources"].as_array_mut().unwrap() {
            for i in r["instances"].as_array_mut().unwrap() {
                i.as_object_mut().unwrap().remove("private");
            }
        }
        std::fs::write(&path, serde_json::to_vec_pretty(&state).unwrap()).unwrap();
        let ((empty, out), requests) = moto.record(|| wd.plan_is_empty(&[]));
        assert!(empty, "plan without ETags not empty on {}:\n{out}", tf.version);
        assert_eq!(heads_and_lists(&requests).0, NODES, "requests on {}: {requests:?}", tf.version);
        wd.ok(&["apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color"]);
        assert!(private_etags(&wd).iter().all(Option::is_some), "refresh records ETags on {}", tf.version);
        let ((empty, _), requests) = moto.record(|| wd.plan_is_empty(&[]));
        assert!(empty);
        assert_eq!(heads_and_lists(&requests), (0, 1), "requests on {}: {requests:?}", tf.version);

        wd.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
        let left = moto.boto3("print(s3.list_objects_v2(Bucket='pool').get('KeyCount', 0))");
        assert_eq!(left, "0", "destroy left objects on {}", tf.version);
    }
}
