//! The cluster probe, run with the real curl against a TLS server.

use super::*;

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
