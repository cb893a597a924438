//! Provider logs: JSON lines on stderr in hclog's shape, at the level
//! Terraform asks for through `TF_LOG_PROVIDER` / `TF_LOG`, never on stdout.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use terraform_provider_kubeadm::tfplugin::proto::tfplugin6;
use tonic::transport::{Endpoint, Uri};

/// Starts a debug server with `env`, makes a schema call and a
/// ConfigureProvider call (which logs at debug level), stops it with SIGTERM
/// and returns its stderr.
fn stderr_of_two_calls(env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_terraform-provider-kubeadm"));
    cmd.arg("--debug").stdout(Stdio::piped()).stderr(Stdio::piped()).env_remove("TF_LOG").env_remove("TF_LOG_PROVIDER");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start the provider");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let socket = loop {
        let line = lines.next().expect("reattach line").expect("read stdout");
        if let Some(json) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
            let v: serde_json::Value = serde_json::from_str(json.trim_end_matches('\'')).expect("reattach JSON");
            break v["registry.terraform.io/kubeadm-ignition/kubeadm"]["Addr"]["String"].as_str().unwrap().to_string();
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let channel = Endpoint::try_from("http://localhost")
            .unwrap()
            .connect_with_connector(tower::service_fn(move |_: Uri| {
                let p = socket.clone();
                async move { Ok::<_, std::io::Error>(TokioIo::new(tokio::net::UnixStream::connect(p).await?)) }
            }))
            .await
            .expect("connect");
        let mut client = tfplugin6::provider_client::ProviderClient::new(channel);
        tokio::time::timeout(
            Duration::from_secs(10),
            client.get_provider_schema(tfplugin6::get_provider_schema::Request {}),
        )
        .await
        .expect("in time")
        .expect("schema");
        // An empty provider block, as Terraform sends one.
        let configure =
            tfplugin6::configure_provider::Request { terraform_version: "1.15.5".to_string(), ..Default::default() };
        tokio::time::timeout(Duration::from_secs(10), client.configure_provider(configure))
            .await
            .expect("in time")
            .expect("configure");
    });
    let _ = Command::new("kill").args(["-s", "TERM", "--", &child.id().to_string()]).status();
    let _ = child.wait();
    let mut err = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut err).expect("read stderr");
    err
}

#[test]
fn trace_level_gives_hclog_json_lines() {
    let err = stderr_of_two_calls(&[("TF_LOG_PROVIDER", "TRACE")]);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty(), "no log lines at trace level");
    let mut saw_rpc = false;
    for l in &lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"));
        for key in ["@level", "@message", "@timestamp", "@module"] {
            assert!(v[key].is_string(), "{key} missing in {l}");
        }
        assert_eq!(v["@module"], "provider.kubeadm");
        saw_rpc |= v["rpc"] == "GetProviderSchema" || v["@message"] == "rpc";
    }
    assert!(saw_rpc, "the schema call was not logged at trace level:\n{err}");
}

#[test]
fn tf_log_is_the_fallback_and_default_is_quiet() {
    let err = stderr_of_two_calls(&[("TF_LOG", "debug")]);
    let lines: Vec<serde_json::Value> = err
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}\n{err}")))
        .collect();
    // At least one line, at debug level: an empty stderr would pass every
    // check below without TF_LOG having been read at all.
    assert!(
        lines.iter().any(|v| v["@level"] == "debug"),
        "TF_LOG=debug gave no debug line (so TF_LOG is not the fallback):\n{err}"
    );
    for v in &lines {
        assert!(v["@level"] != "trace", "a trace line at debug level: {v}");
        assert_eq!(v["@module"], "provider.kubeadm", "{v}");
    }
    let quiet = stderr_of_two_calls(&[]);
    assert!(quiet.trim().is_empty(), "logs without TF_LOG:\n{quiet}");
}
