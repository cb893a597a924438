//! Many nodes at once on one provider process: 200 workers (each with its own
//! name and labels, so each has its own object) and three control planes on
//! the S3 store (moto), applied with `-parallelism=32`. The plans after it
//! are empty, and nothing crosses between nodes: each node's `object_url`,
//! `rendered_sha512`, `user_data` and `kubeadm_config` match the object
//! stored under its own key, downloaded independently with boto3, and the
//! kubeadm configuration inside it carries that node's labels. The bucket
//! holds exactly the 203 objects while applied and none after destroy.
//!
//! Terraform starts the provider itself (filesystem mirror), as for a user.
//! The case takes about a minute per Terraform, so it runs on the newest
//! Terraform found only, unless `KUBEADM_CONCURRENCY_ALL_TERRAFORMS=1`.

use crate::support;

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::Value as Json;
use support::hcl::{s3_provider, Node, CA_AND_TOKEN};
use support::{config, install_mirror, terraforms, Moto, State, Terraform, WorkDir};

const BUCKET: &str = "concurrency";
const WORKERS: usize = 200;
const CONTROL_PLANES: usize = 3;
const POOLS: usize = 7;

fn body(moto: &Moto) -> String {
    let store = s3_provider(BUCKET, &moto.endpoint(), &[("prefix", "\"nodes\"")]);
    let control_planes = Node::resource("cp", "init")
        .attr("count", CONTROL_PLANES.to_string())
        .attr("role", "count.index == 0 ? \"init\" : \"control-plane\"")
        .attr("name", "\"cp-${count.index}\"")
        .block("node {\n    labels = { index = \"cp${count.index}\", pool = \"control-plane\" }\n  }");
    let workers = Node::resource("w", "worker")
        .attr("count", WORKERS.to_string())
        .attr("name", "\"w-${count.index}\"")
        .block(format!(
            "node {{\n    labels = {{ index = \"w${{count.index}}\", pool = \"pool-${{count.index % {POOLS}}}\" }}\n  }}"
        ));
    config(&format!("{store}{CA_AND_TOKEN}{control_planes}{workers}"))
}

/// Every object in the bucket, downloaded: key → what it holds.
fn download_all(moto: &Moto) -> BTreeMap<String, Json> {
    let out = moto.boto3(&format!(
        r#"
import base64, gzip, hashlib, urllib.parse
def data_url(src):
    meta, _, payload = src[len('data:'):].partition(',')
    raw = base64.b64decode(payload) if meta.endswith(';base64') else urllib.parse.unquote_to_bytes(payload)
    return raw
out = {{}}
for page in s3.get_paginator('list_objects_v2').paginate(Bucket='{BUCKET}'):
    for o in page.get('Contents', []):
        key = o['Key']
        obj = s3.get_object(Bucket='{BUCKET}', Key=key)
        body = obj['Body'].read()
        ign = json.loads(body)
        kubeadm = None
        for f in ign.get('storage', {{}}).get('files', []):
            if f['path'] == '/etc/kubeadm/config.yaml':
                raw = data_url(f['contents']['source'])
                if f['contents'].get('compression') == 'gzip':
                    raw = gzip.decompress(raw)
                kubeadm = raw.decode()
        out[key] = {{
            'sha512': hashlib.sha512(body).hexdigest(),
            'meta_sha512': obj.get('Metadata', {{}}).get('sha512'),
            'sse': obj.get('ServerSideEncryption'),
            'kubeadm': kubeadm,
        }}
print(json.dumps(out))
"#
    ));
    let parsed: BTreeMap<String, Json> = serde_json::from_str(&out).expect("boto3 output");
    parsed
}

fn count_objects(moto: &Moto) -> usize {
    moto.boto3(&format!(
        "n = 0\nfor page in s3.get_paginator('list_objects_v2').paginate(Bucket='{BUCKET}'):\n    n += len(page.get('Contents', []))\nprint(n)"
    ))
    .parse()
    .expect("a count")
}

/// The label values a kubeadm configuration gives its node.
fn labels_in(kubeadm: &str) -> Vec<String> {
    // `node-labels` is a kubelet flag: `value: index=w7,pool=pool-0` in v1beta4's
    // list form, `node-labels: index=w7,pool=pool-0` in v1beta3's map form.
    kubeadm
        .lines()
        .filter_map(|l| l.split_once("index=").map(|(_, rest)| format!("index={}", rest.trim().trim_matches('"'))))
        .collect()
}

fn check_no_cross_talk(what: &str, s: &State, stored: &BTreeMap<String, Json>) {
    let mut expected_keys = Vec::new();
    let nodes: Vec<(String, String, String)> = (0..CONTROL_PLANES)
        .map(|i| (format!("kubeadm_ignition_config.cp[{i}]"), format!("cp{i}"), "control-plane".to_string()))
        .chain(
            (0..WORKERS)
                .map(|i| (format!("kubeadm_ignition_config.w[{i}]"), format!("w{i}"), format!("pool-{}", i % POOLS))),
        )
        .collect();
    for (addr, index, pool) in &nodes {
        let v = s.resources.get(addr).unwrap_or_else(|| panic!("{what}: {addr} is not in the state"));
        let key = format!("nodes/{}", v["id"].as_str().expect("id"));
        let sha = v["rendered_sha512"].as_str().expect("rendered_sha512");
        assert_eq!(v["object_url"], format!("s3://{BUCKET}/{key}"), "{what}: object_url of {addr}");
        let name = v["name"].as_str().expect("name");
        let role = v["role"].as_str().expect("role");
        assert!(key.starts_with(&format!("nodes/prod/{role}/{name}-")), "{what}: {addr} is stored under {key}");
        let obj = stored.get(&key).unwrap_or_else(|| panic!("{what}: no object {key} for {addr}"));
        assert_eq!(obj["sha512"], sha, "{what}: the bytes under {key} are not {addr}'s");
        assert_eq!(obj["meta_sha512"], sha, "{what}: the sha512 metadata of {key}");
        assert_eq!(obj["sse"], "AES256", "{what}: encryption of {key}");
        let ud: Json = serde_json::from_str(v["user_data"].as_str().expect("user_data")).expect("user_data JSON");
        assert_eq!(ud["ignition"]["config"]["replace"]["source"], format!("s3://{BUCKET}/{key}"), "{what}: {addr}");
        assert_eq!(
            ud["ignition"]["config"]["replace"]["verification"]["hash"],
            format!("sha512-{sha}"),
            "{what}: user_data hash of {addr}"
        );
        let kubeadm = obj["kubeadm"].as_str().unwrap_or_else(|| panic!("{what}: {key} holds no kubeadm config"));
        assert_eq!(v["kubeadm_config"].as_str(), Some(kubeadm), "{what}: kubeadm_config of {addr} vs {key}");
        let labels = labels_in(kubeadm);
        let want = format!("index={index},pool={pool}");
        // An init node carries its control-plane join document too (with the
        // same node registration), for a machine that finds the cluster running.
        let documents = if role == "init" { 2 } else { 1 };
        assert!(
            labels.len() == documents && labels.iter().all(|l| *l == want),
            "{what}: {key} ({addr}) has node labels {labels:?}, not {want:?}:\n{kubeadm}"
        );
        expected_keys.push(key);
    }
    expected_keys.sort();
    let stored_keys: Vec<String> = stored.keys().cloned().collect();
    assert_eq!(stored_keys, expected_keys, "{what}: the bucket holds other objects than the nodes'");
}

fn run_on(tf: &Terraform) {
    let what = format!("{} nodes on {}", WORKERS + CONTROL_PLANES, tf.version);
    let moto = Moto::start();
    moto.boto3(&format!("s3.create_bucket(Bucket='{BUCKET}')"));
    let mut wd = WorkDir::new(tf);
    install_mirror(&wd);
    wd.env = moto.provider_env();
    wd.write_config(&body(&moto));
    wd.ok_direct(&["init", "-input=false", "-no-color"]);
    let mut timings: Vec<(&str, f64)> = Vec::new();
    fn timed(wd: &WorkDir, timings: &mut Vec<(&'static str, f64)>, label: &'static str, args: &[&str]) -> support::Run {
        let started = Instant::now();
        let r = wd.run_direct(args);
        timings.push((label, started.elapsed().as_secs_f64()));
        r
    }

    let r = timed(
        &wd,
        &mut timings,
        "apply -parallelism=32",
        &["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=32"],
    );
    assert_eq!(r.code, 0, "{what}: apply failed:\n{}", r.combined());
    assert!(!r.combined().contains("Warning"), "{what}: the apply warned:\n{}", r.combined());
    let r = timed(
        &wd,
        &mut timings,
        "plan -refresh-only",
        &["plan", "-refresh-only", "-input=false", "-no-color", "-detailed-exitcode", "-parallelism=32"],
    );
    assert_eq!(r.code, 0, "{what}: plan -refresh-only is not empty:\n{}", r.combined());
    let r = timed(
        &wd,
        &mut timings,
        "plan",
        &["plan", "-input=false", "-no-color", "-detailed-exitcode", "-parallelism=32"],
    );
    assert_eq!(r.code, 0, "{what}: plan is not empty:\n{}", r.combined());

    let s = State::parse(wd.ok_direct(&["show", "-json", "-no-color"]).stdout.as_bytes());
    let started = Instant::now();
    let stored = download_all(&moto);
    timings.push(("download and compare", started.elapsed().as_secs_f64()));
    assert_eq!(stored.len(), WORKERS + CONTROL_PLANES, "{what}: objects in the bucket");
    check_no_cross_talk(&what, &s, &stored);

    let r = timed(
        &wd,
        &mut timings,
        "destroy -parallelism=32",
        &["destroy", "-auto-approve", "-input=false", "-no-color", "-parallelism=32"],
    );
    assert_eq!(r.code, 0, "{what}: destroy failed:\n{}", r.combined());
    assert_eq!(count_objects(&moto), 0, "{what}: objects left after destroy");
    let s = State::parse(wd.ok_direct(&["show", "-json", "-no-color"]).stdout.as_bytes());
    assert!(s.resources.is_empty(), "{what}: resources left after destroy: {:?}", s.resources.keys());
    for (label, secs) in timings {
        eprintln!("[{what}] {label}: {secs:.1} s");
    }
}

#[test]
fn two_hundred_nodes_in_parallel() {
    let all = terraforms();
    let every = std::env::var("KUBEADM_CONCURRENCY_ALL_TERRAFORMS").is_ok_and(|v| v == "1");
    let (run, skipped): (Vec<Terraform>, Vec<Terraform>) = if every {
        (all, Vec::new())
    } else {
        let newest = all.last().cloned().expect("a Terraform");
        let skipped = all[..all.len() - 1].to_vec();
        (vec![newest], skipped)
    };
    for tf in &skipped {
        eprintln!(
            "two_hundred_nodes_in_parallel: skipped on Terraform {} (set KUBEADM_CONCURRENCY_ALL_TERRAFORMS=1 to run it)",
            tf.version
        );
    }
    for tf in &run {
        let started = Instant::now();
        run_on(tf);
        eprintln!("two_hundred_nodes_in_parallel on Terraform {}: {:.1?}", tf.version, started.elapsed());
    }
}
