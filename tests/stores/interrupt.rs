//! Terraform starts the provider itself (filesystem mirror, real handshake
//! with AutoMTLS) and the user presses Ctrl-C in the middle of an apply: the
//! whole process group gets SIGINT. The provider must survive (Terraform
//! sends StopProvider itself), the state must stay consistent, and a second
//! apply must complete and converge to an empty plan.

use crate::support;

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::{config, install_mirror, terraforms, WorkDir};

const COUNT: usize = 200;

fn is_token(s: &str) -> bool {
    let (id, secret) = s.split_once('.').unwrap_or_default();
    let ok = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    ok(id, 6) && ok(secret, 16)
}

#[test]
fn sigint_mid_apply_leaves_a_consistent_state() {
    for tf in terraforms() {
        let wd = WorkDir::new(&tf);
        install_mirror(&wd);
        wd.write_config(&config(&format!(r#"resource "kubeadm_bootstrap_token" "t" {{ count = {COUNT} }}"#)));
        wd.ok_direct(&["init", "-input=false", "-no-color"]);

        let mut cmd = wd.command(&["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=1"]);
        // Its own process group, like a shell job: Ctrl-C reaches every member.
        cmd.process_group(0).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start terraform apply");
        let pgid = child.id();
        let stdout = child.stdout.take().expect("stdout");
        let mut output = String::new();
        let mut created = 0;
        let mut signalled = false;
        let started = Instant::now();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("Creation complete") {
                created += 1;
            }
            output.push_str(&line);
            output.push('\n');
            if !signalled && created >= 20 {
                // `--` matters: without it some `kill` builds read "-PGID" as
                // an option and signal every process they can reach.
                assert!(pgid > 1, "refusing to signal process group {pgid}");
                let ok = std::process::Command::new("kill")
                    .args(["-s", "INT", "--", &format!("-{pgid}")])
                    .status()
                    .expect("kill")
                    .success();
                assert!(ok, "could not signal the process group");
                signalled = true;
            }
            assert!(started.elapsed() < Duration::from_secs(120), "apply did not stop on {}", tf.version);
        }
        let status = child.wait().expect("wait");
        let mut stderr = String::new();
        if let Some(mut e) = child.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut stderr);
        }
        let all = format!("{output}\n{stderr}");
        assert!(signalled, "the apply finished before it could be interrupted on {}:\n{all}", tf.version);
        assert!(!status.success(), "an interrupted apply should fail on {}:\n{all}", tf.version);
        assert!(all.contains("Interrupt received"), "Terraform did not see the interrupt on {}:\n{all}", tf.version);
        for bad in ["Plugin did not respond", "plugin crashed", "panic", "connection refused"] {
            assert!(!all.contains(bad), "the provider did not survive SIGINT on {} ({bad}):\n{all}", tf.version);
        }

        // Every recorded instance is complete.
        let state = support::State::parse(wd.ok_direct(&["show", "-json", "-no-color"]).stdout.as_bytes());
        let recorded = state.resources.len();
        assert!(recorded > 0 && recorded < COUNT, "expected a partial apply on {}, found {recorded}", tf.version);
        for (addr, v) in &state.resources {
            assert!(is_token(v["token"].as_str().unwrap_or_default()), "{addr} is incomplete in state: {v}");
        }

        // A second apply completes the rest and converges.
        wd.ok_direct(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        let state = support::State::parse(wd.ok_direct(&["show", "-json", "-no-color"]).stdout.as_bytes());
        assert_eq!(state.resources.len(), COUNT, "second apply did not complete on {}", tf.version);
        let plan = wd.run_direct(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
        assert_eq!(plan.code, 0, "plan not empty after the second apply on {}:\n{}", tf.version, plan.combined());
        wd.ok_direct(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    }
}
